#!/usr/bin/python3
"""Grows a finished study directory to N results for timing `hpo-master status` and
`hpo-report` at 100,000 results without running 100,000 jobs: every result (and its
curves CSV) of the template directory is copied under new ids r000-c<6 digits>-s0, with
the id, config and curves name rewritten; jobs go to done/. Plain writes (the set-up is
not what is measured).

    /usr/bin/python3 bench/scale/fake_results.py TEMPLATE_DIR OUT_DIR N
"""
import os
import shutil
import sys


def main():
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    shutil.copytree(src, dst)
    res = os.path.join(dst, "results")
    templates = []
    for name in sorted(os.listdir(res)):
        if name.endswith(".result"):
            rid = name[: -len(".result")]
            text = open(os.path.join(res, name)).read()
            curves = next(l.split("=", 1)[1].strip() for l in text.splitlines() if l.startswith("curves ="))
            cfg = rid.split("-")[1]
            templates.append((rid, cfg, text, curves, open(os.path.join(res, curves)).read(),
                              open(os.path.join(dst, "jobs", "done", rid + ".job")).read()))
    have = len(templates)
    for i in range(have, n):
        rid, cfg, text, curves, csv, job = templates[i % have]
        new_cfg = f"c{i:06d}"
        new_id = f"r000-{new_cfg}-s0"
        new_curves = curves.replace(rid, new_id, 1)
        t = text.replace(rid, new_id).replace(f"= {cfg}\n", f"= {new_cfg}\n").replace(curves, new_curves)
        with open(os.path.join(res, new_curves), "w") as f:
            f.write(csv)
        with open(os.path.join(res, new_id + ".result"), "w") as f:
            f.write(t)
        with open(os.path.join(dst, "jobs", "done", new_id + ".job"), "w") as f:
            f.write(job.replace(rid, new_id).replace(f"= {cfg}\n", f"= {new_cfg}\n"))


if __name__ == "__main__":
    main()

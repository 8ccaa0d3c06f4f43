#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/scale/fake_results.py ...
"""Grows a finished study directory to N results for timing `hpo-master status` and
`hpo-report` at 100,000 results without running 100,000 jobs: every result (and its
curves CSV) of the template directory is copied under new ids r000-c<6 digits>-s0, with
the id, config and curves name rewritten, lr, momentum and the validation error
jittered; jobs go to done/. Plain writes (the set-up is
not what is measured).

    tools/py bench/scale/fake_results.py TEMPLATE_DIR OUT_DIR N
"""
import os
import random
import re
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
        # Every copy its own point and value, so the report's forest, slices and parallel
        # coordinates see 100,000 distinct runs, not 40 repeated ones.
        rng = random.Random(i)
        lr, mom = "%.6g" % (10 ** rng.uniform(-4, -0.3)), "%.6g" % rng.random()
        t = re.sub(r"^job\.lr = .*$", "job.lr = " + lr, t, flags=re.M)
        t = re.sub(r"^job\.momentum = .*$", "job.momentum = " + mom, t, flags=re.M)
        # An error stays below 1 (the reader refuses one outside 0..1): every copy a readable run.
        t = re.sub(r"^final_val_error = (.*)$",
                   lambda m: "final_val_error = %.6g" % min(0.999, float(m.group(1)) * rng.uniform(0.5, 1.5)),
                   t, flags=re.M)
        job = re.sub(r"^lr = .*$", "lr = " + lr, job, flags=re.M)
        job = re.sub(r"^momentum = .*$", "momentum = " + mom, job, flags=re.M)
        with open(os.path.join(res, new_curves), "w") as f:
            f.write(csv)
        with open(os.path.join(res, new_id + ".result"), "w") as f:
            f.write(t)
        with open(os.path.join(dst, "jobs", "done", new_id + ".job"), "w") as f:
            f.write(job.replace(rid, new_id).replace(f"= {cfg}\n", f"= {new_cfg}\n"))


if __name__ == "__main__":
    main()

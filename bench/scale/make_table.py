#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/scale/make_table.py ...
"""Turns bench/scale/run.sh's raw `key=value` lines into the scale section of
bench/results.md (between <!-- scale:begin --> and <!-- scale:end -->, replaced in place;
the rest of the file is left as it is). Bars are issue 19's."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from splice_section import splice  # noqa: E402


def parse(path):
    rows, meta = [], {}
    for line in open(path):
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "kind" in kv:
            rows.append(kv)
        elif line.startswith("load_"):  # load_before=1.0 2.0 3.0: three numbers
            k, v = line.strip().split("=", 1)
            meta[k] = v
        else:
            meta.update(kv)
    return rows, meta


def met(ok):
    return "met" if ok else "MISSED"


def section(rows, meta):
    out = ["<!-- scale:begin -->", "## Scale: 1,000 to 100,000 jobs, 128 workers, beside Optuna's journal file", ""]
    out.append(f"Measured by `make bench-scale` on {datetime.datetime.now():%Y-%m-%d %H:%M}; study directories in "
               f"`{meta.get('dir', '?')}` ({meta.get('disk', '?')}). Load average before: {meta.get('load_before', '?')}, "
               f"after: {meta.get('load_after', '?')}. No-op jobs (`synthetic:noop`, one random study, hposync's "
               "master + N workers) against Optuna's journal file (N processes on one journal, RandomSampler, "
               "no-op objective): Optuna 5 (`JournalFileBackend`, the bench group of .venv) and, as the older row, "
               "Optuna 3.1 (`JournalFileStorage`, .venv-optuna3), both in the same run. Ratios and goals are "
               "against Optuna 5. Runs marked *partial* were stopped after "
               f"{meta.get('max_seconds', '?')} s and give the rate so far.")
    out += ["", "| workers | jobs / trials | hposync jobs/s | Optuna 5 trials/s | ratio | goal (16 workers: ratio >= 3) "
            "| Optuna 3.1 trials/s (older row) |",
            "|---|---|---|---|---|---|---|"]
    hp = {(int(r["workers"]), int(r["jobs"])): r for r in rows if r["kind"] == "scale_throughput" and r["sleep_s"] == "0"}
    op5 = {(int(r["workers"]), int(r["trials"])): r for r in rows
           if r["kind"] == "optuna_throughput" and not r.get("optuna", "5").startswith("3.")}
    op3 = {(int(r["workers"]), int(r["trials"])): r for r in rows
           if r["kind"] == "optuna_throughput" and r.get("optuna", "").startswith("3.")}
    versions = sorted({r.get("optuna", "?") for r in rows if r["kind"] == "optuna_throughput"})
    if versions:
        out[4:4] = ["", f"Optuna versions measured: {', '.join(versions)}."]

    def rate(r, key):
        return float(r[key]) if r else None

    def fmt(r, key):
        if not r:
            return "-"
        s = f"{float(r[key]):.0f}"
        if r.get("partial") == "1":
            n = r.get("results", r.get("completed"))
            s += f" (partial: {n} in {float(r['seconds']):.0f} s)"
        if r.get("crashes", "0") != "0":  # optuna_peer.py restarts a process its journal read killed
            s += f", {r['crashes']} crash{'es' if r['crashes'] != '1' else ''}"
        return s

    for key in sorted(set(hp) | set(op5) | set(op3)):
        h, o, o3 = hp.get(key), op5.get(key), op3.get(key)
        ratio = rate(h, "jobs_per_s") / rate(o, "trials_per_s") if h and o and float(o["trials_per_s"]) > 0 else None
        goal = met(ratio >= 3) if ratio is not None and key[0] >= 16 and key[1] >= 20000 else ""
        out.append(f"| {key[0]} | {key[1]:,} | {fmt(h, 'jobs_per_s')} | {fmt(o, 'trials_per_s')} | "
                   f"{'' if ratio is None else f'{ratio:.2f}'} | {goal} | {fmt(o3, 'trials_per_s')} |")
    out.append("")
    for w in sorted({k[0] for k in hp}):
        sizes = sorted(n for (ww, n) in hp if ww == w)
        if len(sizes) >= 2:
            lo, hi = hp[(w, sizes[0])], hp[(w, sizes[-1])]
            q = float(hi["jobs_per_s"]) / float(lo["jobs_per_s"])
            out.append(f"- Per-job cost, {w} workers: jobs/s at {sizes[-1]:,} jobs / at {sizes[0]:,} jobs = **{q:.2f}** "
                       f"(goal >= 0.5, i.e. flat within 2x: {met(q >= 0.5)})")
    bad = [r for r in rows if r["kind"] == "scale_throughput" and (r["lost"] != "0" or r["claimed_twice"] != "0")]
    out.append(f"- Jobs lost / claimed twice over all hposync runs: "
               f"{sum(int(r['lost']) for r in rows if r['kind'] == 'scale_throughput')} / "
               f"{sum(int(r['claimed_twice']) for r in rows if r['kind'] == 'scale_throughput')}"
               + (" (see raw lines)" if bad else ""))
    for r in rows:
        if r["kind"] == "scale_throughput" and r["sleep_s"] != "0":
            w, jps = int(r["workers"]), float(r["jobs_per_s"])
            u = jps / (w / float(r["sleep_s"]))
            out.append(f"- {w} worker processes, {int(r['jobs']):,} jobs of {float(r['sleep_s']):g} s: {jps:.1f} jobs/s, "
                       f"utilisation **{100 * u:.1f} %** (jobs/s over {w / float(r['sleep_s']):.0f}/s), "
                       f"{r['lost']} lost, {r['claimed_twice']} run twice (bar >= 90 %, 0, 0: "
                       f"{met(u >= 0.9 and r['lost'] == '0' and r['claimed_twice'] == '0')})")
    for r in rows:
        if r["kind"] == "scale_latency":
            p = int(r["poll_ms"])
            mode = "inotify" if p == 0 else f"polling only (--no-inotify --poll-ms {p})"
            limit = 20.0 if p == 0 else 1.2 * p
            b, i = float(r["busy_median_ms"]), float(r["idle_median_ms"])
            out.append(f"- Claim latency ({meta.get('latency_dir', '?')}, {meta.get('latency_disk', '?')}), {mode}, "
                       f"{int(r['pending']):,} pending: free worker -> next claim median "
                       f"**{b:.2f} ms** (p99 {float(r['busy_p99_ms']):.2f}, {r['samples']} claims); idle worker, "
                       f"publication -> claim, {int(r['pending']):,} jobs in the study: median **{i:.2f} ms** "
                       f"(p99 {float(r['idle_p99_ms']):.2f}, {r['idle_samples']} jobs) (bar median < {limit:g} ms: "
                       f"{met(max(b, i) < limit)})")
    for r in rows:
        if r["kind"] != "readers":
            continue
        n = int(r["results"])
        out.append(f"- Readers at {n:,} results (a real 40-job study grown by bench/scale/fake_results.py): "
                   f"`hpo-master status` **{float(r['status_s']):.1f} s**; `hpo-report` **{float(r['report_s']):.1f} s**, "
                   f"peak RSS {r['report_rss_mb']} MB, {int(r['report_files']):,} files ({r['report_mb']} MB), "
                   f"{r['index_rows']} table rows in index.html (bar: seconds, not minutes: "
                   f"{met(float(r['status_s']) < 60 and float(r['report_s']) < 60)})")
    out += ["", "<!-- scale:end -->"]
    return "\n".join(out) + "\n"


def main():
    rows, meta = parse(sys.argv[1])
    path = sys.argv[2]
    text = open(path).read()
    # section() carries its own markers; splice() wants the text between them.
    body = section(rows, meta).replace("<!-- scale:begin -->\n", "").replace("<!-- scale:end -->", "")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(splice(text, "scale", body))
    os.replace(tmp, path)


if __name__ == "__main__":
    main()

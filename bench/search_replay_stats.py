#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_replay_stats.py ...
"""The numbers of one protocol replay (bench/search_replay.sh) from its study directory's
result files: jobs, jobs/s, the workers' busy and idle time, the gaps between rounds and
the best val_error at the largest budget. Reads only regular files under DIR/results.

Usage: search_replay_stats.py DIR WORKERS WALL_SECONDS
Prints key = value lines:
  jobs, jobs_per_s, rounds
  busy_s        sum of the results' wall_seconds (each trainer run, as its worker measured it)
  idle_s        WORKERS x WALL - busy_s: worker time spent not running a trainer (claims,
                polls, and waiting for the master to build the next round)
  round_gap_s   sum over rounds r >= 1 of: the first lookup of round r starting minus the
                last lookup of round r - 1 finishing (the trainer's own clock, in its note):
                the time every worker waits for the round's results to be seen, the next
                round to be built and its first job claimed and started; round_gap_mean_s
  evals, max_epochs, best   the best val_error among ok runs at the largest epochs
  trial         one line per result, "r<round> <config> <epochs> key=value ..." (searched
                keys in name order), as `search-bench replay` prints the in-process trials"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainers"))
import hposync_keyvalue as kv  # noqa: E402

TIMES = re.compile(r"lookup_started=([0-9.]+) lookup_finished=([0-9.]+)")


def read_results(d):
    res = os.path.join(d, "results")
    out = []
    for name in sorted(os.listdir(res)):
        path = os.path.join(res, name)
        if name.endswith(".result") and os.path.isfile(path) and not os.path.islink(path):
            out.append(kv.read(path))
    return out


def round_gaps(results):
    spans = {}
    for r in results:
        m = TIMES.search(r.get("note", ""))
        if not m:
            raise SystemExit("search_replay_stats: %s has no lookup times in its note: not a tabular_lookup run"
                             % r["id"])
        start, end = float(m.group(1)), float(m.group(2))
        lo, hi = spans.get(int(r["round"]), (start, end))
        spans[int(r["round"])] = (min(lo, start), max(hi, end))
    rounds = sorted(spans)
    gaps = [spans[b][0] - spans[a][1] for a, b in zip(rounds, rounds[1:])]
    return len(rounds), gaps


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    d, workers, wall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    results = read_results(d)
    if not results:
        sys.exit("search_replay_stats: no results in %s/results" % d)
    busy = sum(float(r["wall_seconds"]) for r in results)
    n_rounds, gaps = round_gaps(results)
    top = max(int(r["job.epochs"]) for r in results)
    at_top = [float(r["final_val_error"]) for r in results if int(r["job.epochs"]) == top and r["status"] == "ok"]
    for r in results:
        keys = sorted(k.strip() for k in r["job.searched"].split(","))
        print("trial = r%s %s %s %s" % (r["round"], r["config"], r["job.epochs"],
                                       " ".join("%s=%s" % (k, r["job." + k]) for k in keys)))
    print(kv.to_text([
        ("jobs", len(results)), ("jobs_per_s", round(len(results) / wall, 3)), ("rounds", n_rounds),
        ("busy_s", round(busy, 3)), ("idle_s", round(workers * wall - busy, 3)),
        ("round_gap_s", round(sum(gaps), 3)), ("round_gap_mean_s", round(sum(gaps) / len(gaps), 3) if gaps else 0),
        ("evals", len(results)), ("max_epochs", top), ("best", min(at_top) if at_top else float("inf")),
    ]), end="")


if __name__ == "__main__":
    main()

#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../../tools/py" "$0" "$@" # '''
"""Framework comparison of a finished frameworks study, read from D/results (standard
library only): per (optimizer, batch size, lr) and trainer, the parameter updates, updates
per training second, setup seconds (start-up, imports, data loading: outside the budget),
training seconds, the overrun past the budget, the training loss at equal training time
(the shortest run's training time of that group) and the final validation error.

    tools/py examples/frameworks/compare.py D [--csv OUT.csv]
"""
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers"))
import hposync_keyvalue  # noqa: E402  the one key = value reader


def kv(path):
    return hposync_keyvalue.read(path)


def from_note(note, pattern):
    """A number the worker wrote into the result's note: 'setup 2.500 s' (the trainer's
    setup_seconds), 'time budget: stopped 0.300 s after the deadline' (its overrun)."""
    m = re.search(pattern, note or "")
    return float(m.group(1)) if m else None


def main():
    d = sys.argv[1]
    res = os.path.join(d, "results")
    groups = defaultdict(dict)
    for name in sorted(os.listdir(res)):
        if not name.endswith(".result") or name.startswith("."):
            continue
        r = kv(os.path.join(res, name))
        updates = []
        if r.get("curves"):
            for line in open(os.path.join(res, r["curves"])):
                f = line.rstrip("\n").split(",")
                if f[0] == "update":
                    updates.append((float(f[2]), float(f[4])))
        key = (r.get("job.optimizer"), int(r.get("job.batch_size", "0")), r.get("job.lr"))
        groups[key][r.get("job.trainer", "hposync")] = (r, updates)
    rows = []
    head = ("optimizer", "batch", "lr", "trainer", "updates", "upd/s", "setup_s", "train_s", "overrun", "T_equal",
            "loss@T", "val_err", "status")
    print(f"{head[0]:9} {head[1]:>5} {head[2]:>6} {head[3]:8} {head[4]:>7} {head[5]:>7} {head[6]:>7} {head[7]:>7} "
          f"{head[8]:>7} {head[9]:>7} {head[10]:>8} {head[11]:>7} {head[12]:8}")
    for key in sorted(groups):
        g = groups[key]
        horizon = min((u[-1][0] for _, u in g.values() if u), default=0.0)
        for trainer in sorted(g):
            r, u = g[trainer]
            train_s = u[-1][0] if u else 0.0
            ups = len(u) / train_s if train_s > 0 else 0.0
            window = [l for t, l in u if t <= horizon][-20:]  # mean of the last 20 updates before T
            loss = sum(window) / len(window) if window else float("nan")
            setup = float(r["setup_seconds"]) if "setup_seconds" in r else from_note(r.get("note"), r"setup ([0-9.]+) s")
            overrun = from_note(r.get("note"), r"time budget: stopped ([0-9.]+) s") or 0.0
            val = float(r.get("final_val_error", "nan"))
            rows.append((*key, trainer, len(u), ups, setup, train_s, overrun, horizon, loss, val, r.get("status")))
            print(f"{key[0]:9} {key[1]:5d} {key[2]:>6} {trainer:8} {len(u):7d} {ups:7.1f} "
                  f"{'-' if setup is None else format(setup, '7.2f'):>7} {train_s:7.2f} {overrun:7.2f} {horizon:7.2f} "
                  f"{loss:8.4f} {val:7.4f} {r.get('status'):8}")
    by_trainer = defaultdict(list)
    for row in rows:
        by_trainer[row[3]].append(row)
    print("\nper trainer (mean over configurations): updates/s, setup s, overrun s, loss at equal training time")
    for t, rs in sorted(by_trainer.items()):
        ok = [x for x in rs if x[10] == x[10]]
        setups = [x[6] for x in rs if x[6] is not None]
        print(f"  {t:8} {sum(x[5] for x in rs) / len(rs):9.1f} upd/s   setup "
              f"{(sum(setups) / len(setups)) if setups else 0:6.2f} s   overrun max {max(x[8] for x in rs):5.2f} s   "
              f"loss@T {sum(x[10] for x in ok) / max(len(ok), 1):.4f}   ({len(rs)} runs)")
    best = min(rows, key=lambda x: x[11] if x[11] == x[11] else float("inf"))
    print(f"\nbest configuration: trainer {best[3]}, optimizer {best[0]}, lr {best[2]}, batch size {best[1]}: "
          f"val_error {best[11]}")
    if "--csv" in sys.argv:
        with open(sys.argv[sys.argv.index("--csv") + 1], "w") as f:
            f.write("optimizer,batch_size,lr,trainer,updates,updates_per_s,setup_s,train_s,overrun_s,t_equal,"
                    "loss_at_t,val_error,status\n")
            for row in rows:
                f.write(",".join("" if x is None else str(x) for x in row) + "\n")


if __name__ == "__main__":
    main()

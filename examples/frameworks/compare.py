#!/usr/bin/env python3
"""Framework comparison of a finished frameworks study: per (optimizer, batch size, lr)
and trainer, updates per second and the training loss at equal wall time (the shortest
run's training time of that group), read from D/results. Standard library only.

    python3 examples/frameworks/compare.py D [--csv OUT.csv]
"""
import os
import sys
from collections import defaultdict


def kv(path):
    out = {}
    for line in open(path):
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def main():
    d = sys.argv[1]
    res = os.path.join(d, "results")
    groups = defaultdict(dict)
    for name in sorted(os.listdir(res)):
        if not name.endswith(".result") or name.startswith("."):
            continue
        r = kv(os.path.join(res, name))
        updates = []
        for line in open(os.path.join(res, r["curves"])):
            f = line.rstrip("\n").split(",")
            if f[0] == "update":
                updates.append((float(f[2]), float(f[4])))
        key = (r.get("job.optimizer"), int(r.get("job.batch_size", "0")), r.get("job.lr"))
        groups[key][r.get("job.trainer", "hposync")] = (r, updates)
    rows = []
    print(f"{'optimizer':9} {'batch':>5} {'lr':>6} {'trainer':8} {'updates':>8} {'upd/s':>8} {'T_equal':>7} "
          f"{'loss@T':>8} {'val_err':>7} {'status':8}")
    for key in sorted(groups):
        g = groups[key]
        horizon = min((u[-1][0] for _, u in g.values() if u), default=0.0)
        for trainer in sorted(g):
            r, u = g[trainer]
            ups = len(u) / u[-1][0] if u and u[-1][0] > 0 else 0.0
            window = [l for t, l in u if t <= horizon][-20:]  # mean of the last 20 updates before T
            loss = sum(window) / len(window) if window else float("nan")
            rows.append((*key, trainer, len(u), ups, horizon, loss, r.get("final_val_error"), r.get("status")))
            print(f"{key[0]:9} {key[1]:5d} {key[2]:>6} {trainer:8} {len(u):8d} {ups:8.1f} {horizon:7.2f} "
                  f"{loss:8.4f} {float(r.get('final_val_error', 'nan')):7.4f} {r.get('status'):8}")
    by_trainer = defaultdict(list)
    for row in rows:
        by_trainer[row[3]].append(row)
    print("\nper trainer (mean over configurations): updates/s, loss at equal wall time")
    for t, rs in sorted(by_trainer.items()):
        ok = [x for x in rs if x[7] == x[7]]
        print(f"  {t:8} {sum(x[5] for x in rs) / len(rs):9.1f} upd/s   loss@T {sum(x[7] for x in ok) / max(len(ok), 1):.4f}"
              f"   ({len(rs)} runs)")
    best = min(rows, key=lambda x: float(x[8] or "inf"))
    print(f"\nbest configuration: trainer {best[3]}, optimizer {best[0]}, lr {best[2]}, batch size {best[1]}: "
          f"val_error {best[8]}")
    if "--csv" in sys.argv:
        with open(sys.argv[sys.argv.index("--csv") + 1], "w") as f:
            f.write("optimizer,batch_size,lr,trainer,updates,updates_per_s,t_equal,loss_at_t,val_error,status\n")
            for row in rows:
                f.write(",".join(str(x) for x in row) + "\n")


if __name__ == "__main__":
    main()

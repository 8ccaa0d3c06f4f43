#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/tabular/to_csv.py ...
"""Turns the results of the grid study mnist-cnn-grid.study into the tabular benchmark's
CSV: one row per configuration (filters, lr, momentum, batch_size), the status, the
validation error after each epoch and the training seconds. Reads only regular files
under DIR/results. Usage: to_csv.py DIR SECONDS_TAKEN > mnist-cnn.csv"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers"))
import hposync_keyvalue  # noqa: E402  the one key = value reader

KEYS = ["filters", "lr", "momentum", "batch_size"]


def read_kv(path):
    return hposync_keyvalue.read(path)


def main():
    d, took = sys.argv[1], sys.argv[2]
    res = os.path.join(d, "results")
    rows = []
    for name in sorted(os.listdir(res)):
        path = os.path.join(res, name)
        if not name.endswith(".result") or not os.path.isfile(path) or os.path.islink(path):
            continue
        r = read_kv(path)
        errs = {}
        if r.get("curves"):
            with open(os.path.join(res, r["curves"])) as f:
                for row in csv.DictReader(f):
                    if row["kind"] == "epoch" and row["metric"] == "val_error":
                        errs[int(row["index"])] = float(row["value"])
        epochs = int(r.get("job.epochs", "3"))
        curve = [errs.get(e, float("inf")) for e in range(1, epochs + 1)]
        rows.append([r["job." + k] for k in KEYS] + [r["status"]] +
                    ["%g" % v for v in curve] + [r["train_seconds"]])
    print("# MNIST CNN grid (bench/tabular/mnist-cnn-grid.study), %d runs computed in %s s "
          "by bench/tabular/regenerate.sh; val_error after each epoch (inf: diverged)" % (len(rows), took))
    n = len(rows[0]) - len(KEYS) - 2 if rows else 0
    print(",".join(KEYS + ["status"] + ["val_error_e%d" % (e + 1) for e in range(n)] + ["train_seconds"]))
    for row in rows:
        print(",".join(row))


if __name__ == "__main__":
    main()

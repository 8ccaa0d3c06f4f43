#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""A trainer that looks its result up instead of training (docs/PROTOCOL.md, section 10):
a tabular benchmark of `make bench-search` (bench/tabular/*.csv, real runs recorded by
hposync) served through the real protocol, so a study's rounds, claims and result files
cost what they cost while the training costs nothing (bench/search_replay.sh).

    hpo-worker --trainer tabular=/abs/trainers/tabular_lookup.py /abs/bench/tabular/mnist-cnn.csv

The CSV is named by the worker's owner in the command (never by a job). For each job it
reads the searched keys and `epochs` from HPOSYNC_JOB, takes the row that answers them
(trainers/tabular_table.py: nearest grid point, or nearest recorded configuration) and
writes, per epoch up to `epochs`: one update row (the loss is that epoch's val_error, the
only number the table holds) and the val_error epoch row; then metrics.txt with status ok,
steps = epochs, final_val_error. A diverged row (inf at that epoch) gives status diverged
with the epoch in the reason. t is 0: nothing was trained. The note names the table and
the answering row's values, and the trainer's own start and end times (Unix seconds), which
the replay reads to measure the time between rounds. A checkpoint is never written or read
(a lookup is stateless: a promotion's answer is the same as from scratch)."""
import math
import os
import sys
import time

STARTED = time.time()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hposync_keyvalue as kv  # noqa: E402
import hposync_trainer as ht  # noqa: E402  (the job table and format lines: hpo-train --schema)
from tabular_table import Table  # noqa: E402


def usage():
    sys.exit("usage: tabular_lookup.py TABLE.csv --job FILE --out DIR (run by hpo-worker --trainer)")


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("--"):
        usage()
    table_path = sys.argv[1]
    job = ht.read_job(os.environ["HPOSYNC_JOB"])
    out = os.environ["HPOSYNC_OUT"]
    table = Table(table_path)
    epochs = ht.Job(job).epochs  # typed, with the job table's default
    if epochs < 1:
        raise SystemExit("tabular_lookup: epochs = %d: a table replays whole epochs only" % epochs)
    params = {k: job[k] for k in table.keys if k in job}
    row = table.answer(params)
    curve = table.curves[row][:min(epochs, table.epochs)] if row is not None else [math.inf]
    done = 0
    with open(os.path.join(out, "curves.csv"), "w") as f:
        f.write("kind,index,t,metric,value\n")
        for e, err in enumerate(curve, start=1):
            if not math.isfinite(err):
                break
            f.write("update,%d,0,loss,%r\nepoch,%d,0,val_error,%r\n" % (e, err, e, err))
            done = e
    answered = ("row %d (%s)" % (row + 2, " ".join("%s=%s" % kv_ for kv_ in zip(table.keys, table.rows[row])))
                if row is not None else "no row")
    note = "tabular lookup of %s: %s; lookup_started=%.6f lookup_finished=%.6f" % (
        os.path.basename(table_path), answered, STARTED, time.time())
    metrics = [("format", ht.file_format("metrics"))]
    if done == len(curve) and done >= 1:
        metrics += [("status", "ok"), ("steps", done), ("final_val_error", curve[-1])]
    else:
        metrics += [("status", "diverged"), ("reason", "the table's run diverged in epoch %d" % (done + 1)),
                    ("steps", done)]
    metrics += [("train_seconds", 0), ("note", note)]
    with open(os.path.join(out, "metrics.txt"), "w") as f:
        f.write(kv.to_text(metrics))


if __name__ == "__main__":
    main()

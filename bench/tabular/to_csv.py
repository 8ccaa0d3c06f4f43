#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/tabular/to_csv.py ...
"""Turns the results of a tabular benchmark's study (mnist-cnn-grid.study, mnist-mlp.study)
into the benchmark's CSV: one row per configuration (the searched keys, in the study's
order), the status, the validation error after each epoch and the training seconds.
Reads only regular files under DIR/results.

The study's `search.*` lines and its `# condition:` lines are copied into the CSV as
comment lines, so a replay knows the space (ranges, log scales, categorical keys) and
which key is inactive for which parent value without reading the study file. The grid
benchmark mnist-cnn keeps its original form (no such lines: its replay snaps to the grid).

Usage: to_csv.py DIR SECONDS_TAKEN STUDY_FILE > NAME.csv"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers"))
import hposync_keyvalue  # noqa: E402  the one key = value reader

TITLES = {"mnist-cnn-grid.study": "MNIST CNN grid", "mnist-mlp.study": "MNIST MLP mixed space, sampled"}


def curve_of(res, r):
    """val_error after each epoch (inf where the run stopped: diverged)."""
    errs = {}
    if r.get("curves"):
        with open(os.path.join(res, r["curves"])) as f:
            for row in csv.DictReader(f):
                if row["kind"] == "epoch" and row["metric"] == "val_error":
                    errs[int(row["index"])] = float(row["value"])
    epochs = int(r.get("job.epochs", "3"))
    return [errs.get(e, float("inf")) for e in range(1, epochs + 1)]


def space_lines(study_path):
    """The study's search.* lines and # condition: lines, as CSV comments (sampled designs)."""
    out = []
    with open(study_path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# condition:") or line.startswith("search."):
                out.append(line if line.startswith("#") else "# " + line)
    return out


def main():
    d, took, study_path = sys.argv[1], sys.argv[2], sys.argv[3]
    study = os.path.basename(study_path)
    res = os.path.join(d, "results")
    keys, rows = [], []
    for name in sorted(os.listdir(res)):
        path = os.path.join(res, name)
        if not name.endswith(".result") or not os.path.isfile(path) or os.path.islink(path):
            continue
        r = hposync_keyvalue.read(path)
        keys = [k.strip() for k in r["job.searched"].split(",")]
        rows.append([r["job." + k] for k in keys] + [r["status"]] +
                    ["%g" % v for v in curve_of(res, r)] + [r["train_seconds"]])
    print("# %s (bench/tabular/%s), %d runs computed in %s s by bench/tabular/regenerate.sh; "
          "val_error after each epoch (inf: diverged)" % (TITLES.get(study, study), study, len(rows), took))
    if study != "mnist-cnn-grid.study":
        print("\n".join(space_lines(study_path)))
    n = len(rows[0]) - len(keys) - 2 if rows else 0
    print(",".join(keys + ["status"] + ["val_error_e%d" % (e + 1) for e in range(n)] + ["train_seconds"]))
    for row in rows:
        print(",".join(row))


if __name__ == "__main__":
    main()

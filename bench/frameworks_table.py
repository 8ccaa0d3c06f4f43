#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""The Show table of the frameworks study (issue 34): from one finished run's D/results,
one row per framework x optimizer x batch size x learning rate: parameter updates,
setup seconds (start-up, imports, data loading: outside the budget), training seconds,
the final training loss (mean of the last 20 update losses), the overrun past the
budget (external trainers: the worker's own measure, from SIGTERM-at-deadline to exit;
the engine: training seconds past the budget) and the status. Standard library only;
invents nothing: a number the run did not record is '-'.

    tools/py bench/frameworks_table.py D STUDY_FILE MACHINE_FILE > bench/frameworks-results.md
MACHINE_FILE: the lines bench/frameworks_table.sh collected (lscpu, load, timings).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainers"))
import hposync_keyvalue  # noqa: E402  the one key = value reader


def kv(path):
    return hposync_keyvalue.read(path)


def update_losses(path):
    """The (t, loss) of every update in a curves CSV."""
    rows = []
    with open(path, encoding="ascii") as f:
        for line in f:
            p = line.rstrip("\n").split(",")
            if p[0] == "update" and p[3] == "loss":
                rows.append((float(p[2]), float(p[4])))
    return rows


def overrun(result, budget):
    m = re.search(r"time budget: stopped ([0-9.]+) s after the deadline", result.get("note", ""))
    if m:
        return float(m.group(1))
    train_s = float(result.get("train_seconds", "nan"))
    return max(0.0, train_s - budget) if budget > 0 else float("nan")


def fmt(v, digits):
    return "-" if v is None or v != v else f"{v:.{digits}f}"


def rows_of(d):
    res = os.path.join(d, "results")
    out = []
    for name in sorted(os.listdir(res)):
        if not name.endswith(".result") or name.startswith("."):
            continue
        r = kv(os.path.join(res, name))
        ups = update_losses(os.path.join(res, r["curves"])) if r.get("curves") else []
        last = [l for _, l in ups[-20:]]
        budget = float(r.get("job.time_budget_s", "0"))
        out.append({
            "framework": r.get("job.trainer", "hposync"), "optimizer": r.get("job.optimizer", "?"),
            "batch": int(r.get("job.batch_size", "0")), "lr": r.get("job.lr", "?"),
            "updates": int(r.get("steps", "0")), "setup": float(r.get("setup_seconds", "nan")),
            "train": float(r.get("train_seconds", "nan")),
            "loss": sum(last) / len(last) if last else float("nan"),
            "overrun": overrun(r, budget), "status": r.get("status", "?"), "budget": budget,
            "reason": r.get("reason", ""),
        })
    return out


def main():
    d, study, machine = sys.argv[1:4]
    rows = rows_of(d)
    if not rows:
        sys.exit(f"frameworks_table.py: no results in {d}/results")
    info = open(machine, encoding="utf-8").read().strip()
    budgets = sorted({r["budget"] for r in rows})
    print("# Frameworks study: measured\n")
    print(f"Written by `bench/frameworks_table.sh` (`make bench-frameworks`) from one run of `{study}`: "
          f"{len(rows)} runs, time budget {', '.join(f'{b:g}' for b in budgets)} s of training each "
          "(one clock: the budget counts the training loop only, docs/PROTOCOL.md section 10).\n")
    print("Machine (shared with other users while it ran, so the numbers are this run's, not the frameworks' best):\n")
    print("```\n" + info + "\n```\n")
    print("`updates`: parameter updates; `setup s`: start-up, imports, data loading, model build "
          "(outside the budget); `training s`: the training clock; `final loss`: mean batch loss of the "
          "last 20 updates; `overrun s`: past the budget (external trainers: from the worker's deadline "
          "to the trainer's exit; the engine stops on its own clock).\n")
    print("| framework | optimizer | batch | lr | updates | setup s | training s | final loss | overrun s | status |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in sorted(rows, key=lambda r: (r["framework"], r["optimizer"], r["batch"], float(r["lr"]))):
        print(f"| {r['framework']} | {r['optimizer']} | {r['batch']} | {r['lr']} | {r['updates']} | "
              f"{fmt(r['setup'], 2)} | {fmt(r['train'], 2)} | {fmt(r['loss'], 4)} | {fmt(r['overrun'], 2)} | "
              f"{r['status']} |")
    print("\nPer framework (all its runs):\n")
    print("| framework | runs | ok | updates/s (mean) | setup s (median) | overrun s (max) |")
    print("|---|---:|---:|---:|---:|---:|")
    for fw in sorted({r["framework"] for r in rows}):
        rs = [r for r in rows if r["framework"] == fw]
        rates = [r["updates"] / r["train"] for r in rs if r["train"] > 0]
        setups = sorted(r["setup"] for r in rs if r["setup"] == r["setup"])
        overs = [r["overrun"] for r in rs if r["overrun"] == r["overrun"]]
        print(f"| {fw} | {len(rs)} | {sum(r['status'] == 'ok' for r in rs)} | "
              f"{fmt(sum(rates) / len(rates) if rates else None, 1)} | "
              f"{fmt(setups[len(setups) // 2] if setups else None, 2)} | {fmt(max(overs) if overs else None, 2)} |")
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        print("\nRuns that are not ok, with the worker's reason:\n")
        for r in bad:
            print(f"- {r['framework']} {r['optimizer']} batch {r['batch']} lr {r['lr']}: {r['status']}: "
                  f"{r['reason'][:300]}")


if __name__ == "__main__":
    main()

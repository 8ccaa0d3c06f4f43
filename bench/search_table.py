#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_table.py ...
"""Turns the traces of bench/search_run.sh into bench/search-results.md (one table) and
bench/search-results.png (the median curves). Usage:
  search_table.py TRACE_DIR SECONDS_TAKEN OUT.md OUT.png TABULAR.csv"""
import collections
import glob
import math
import os
import subprocess
import sys

METHODS = ["random", "grid", "successive-halving", "hyperband", "hyperband-eta2", "bohb", "bohb-eta2", "tpe",
           "tpe-multivariate", "tpe-no-liar", "optuna-tpe", "optuna-random"]
OBJECTIVES = ["quadratic", "noisy", "branin", "hartmann6", "mnist-cnn"]
BUDGET = {}  # max epochs per evaluation: 27 for the synthetic ones, the table's epochs for mnist-cnn
LEVELS = [25, 50, 100]


def pct(values, q):
    v = sorted(values)
    if not v:
        return math.inf
    pos = (len(v) - 1) * q
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    if v[lo] == math.inf or v[hi] == math.inf:
        return v[hi] if v[lo] == math.inf else (v[lo] if pos == lo else math.inf)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def fmt(x):
    if x == math.inf:
        return "-"
    if x == 0:
        return "0"
    return "%.3g" % x


def cell(values):
    return "%s [%s, %s]" % (fmt(pct(values, 0.5)), fmt(pct(values, 0.25)), fmt(pct(values, 0.75)))


def load(trace_dir):
    runs = collections.defaultdict(list)  # (objective, method, seed) -> [(evals, epochs, resumed, best)]
    for path in sorted(glob.glob(os.path.join(trace_dir, "*.csv"))):
        with open(path) as f:
            for line in f:
                if line.startswith("objective") or not line.strip():
                    continue
                fields = line.strip().split(",")
                if len(fields) != 7:
                    continue  # the unfinished last line of a trace still being written
                o, m, s, e, ep, er, b = fields
                runs[(o, m, int(s))].append((int(e), float(ep), float(er), float(b)))
    return runs


def at_evals(rows, n):
    for r in rows:
        if r[0] == n:
            return r[3]
    return rows[-1][3]  # fewer evaluations than n (grid, successive halving): its last


def at_compute(rows, c, col=1):
    best = math.inf
    for r in rows:
        if r[col] <= c + 1e-9:
            best = r[3]
    return best


def compute_to_reach(rows, target, col=1):
    for r in rows:
        if r[3] <= target:
            return r[col]
    return math.inf


def read_tabular(path):
    """(grid points, epochs, the first line's account of how long computing it took)."""
    with open(path) as f:
        first = f.readline().strip()
        header = f.readline().strip().split(",")
        rows = sum(1 for line in f if line.strip() and not line.startswith("#"))
    epochs = sum(1 for h in header if h.startswith("val_error_e"))
    m = first.split(" computed in ")
    how_long = "computed in " + m[1].split(" by ")[0] if len(m) > 1 else "time to compute not recorded"
    return rows, epochs, how_long


def main():
    trace_dir, took, out_md, out_png, tabular = sys.argv[1:6]
    grid_points, epochs, how_long = read_tabular(tabular)
    BUDGET["mnist-cnn"] = epochs
    eta = 3 if epochs >= 9 else 2  # as bench/search_bench.cpp
    runs = load(trace_dir)
    by = collections.defaultdict(dict)
    dropped = collections.Counter()
    for (o, m, s), rows in runs.items():
        # An Optuna run cut short (bench stopped early) is incomplete: not counted.
        if m.startswith("optuna-") and rows[-1][0] < 100:
            dropped[(o, m)] += 1
            continue
        by[(o, m)][s] = rows
    seeds = min(len(v) for v in by.values())
    max_seeds = max(len(v) for v in by.values())
    md = []
    md.append("# Search strategies against Optuna (`make bench-search`)\n")
    md.append("Measured in one run of `make bench-search` (%s s wall on the 2-core machine, both "
              "sides in the same run). %d seeds per method (study seeds 1000..%d, Optuna sampler seeds the "
              "same); batch of 10 configurations per round for random, tpe and both Optuna samplers (Optuna: "
              "10 `ask`s, then 10 `tell`s); 100 evaluations at the full budget for them. Multi-fidelity "
              "methods run until they have spent the compute of 100 full evaluations. Cells: median "
              "[first quartile, third quartile] over the seeds of the **regret** of the best configuration "
              "evaluated at the full budget so far (objective minus the known optimum; `-` = none yet). "
              "Compute is counted in epochs as if every job trained from scratch (the hposync default "
              "before resumed promotions). Column `n`: seeds measured for that method.\n" % (took, max_seeds, 999 + max_seeds))
    if seeds < max_seeds:
        md.append("**Not every method has all seeds**: the run was stopped before Optuna's TPESampler finished "
                  "them on the loaded machine (see `n`); incomplete runs are not counted (%s).\n" %
                  ", ".join("%s/%s: %d" % (o, m, n) for (o, m), n in sorted(dropped.items())))
    md.append("Objectives: `synthetic:quadratic` and `synthetic:noisy` (4-D, optimum 0.02 val_error; noisy "
              "adds +-0.02 per epoch, so its regret can go below 0), `synthetic:branin` (2-D, optimum "
              "0.397887) and `synthetic:hartmann6` (6-D, optimum -3.32237), all at 27 epochs (budgets "
              "1..27, eta 3), and `mnist-cnn`: real CNN runs on MNIST (bench/tabular/mnist-cnn.csv, %d "
              "grid points x %d epochs, %s; replayed by nearest grid point; regret against the grid's best "
              "validation error after %d epochs; budgets 1..%d, eta %d). `-eta2` methods: the same with "
              "eta 2.\n" % (grid_points, epochs, how_long, epochs, epochs, eta))
    for o in OBJECTIVES:
        B = BUDGET.get(o, 27)
        md.append("\n### %s\n" % o)
        md.append("| method | n | after 25 evals | after 50 | after 100 | at %d epochs | at %d | at %d |" %
                  (25 * B, 50 * B, 100 * B))
        md.append("|---|---|---|---|---|---|---|---|")
        for m in METHODS:
            if (o, m) not in by:
                continue
            rs = list(by[(o, m)].values())
            cells = [cell([at_evals(r, n) for r in rs]) for n in LEVELS]
            cells += [cell([at_compute(r, n * B) for r in rs]) for n in LEVELS]
            short = max(r[-1][0] for r in rs)
            name = m + (" (%d evals in all)" % short if short < 100 else "")
            md.append("| %s | %d | %s |" % (name, len(rs), " | ".join(cells)))

    md.append("\n## The bars of issue 18\n")
    md.append("**TPE vs Optuna TPE**: median regret of hposync tpe / median regret of Optuna's "
              "TPESampler (below 1: hposync better).\n")
    md.append("| objective | tpe/optuna at 50 | at 100 | tpe-multivariate/optuna at 50 | at 100 |")
    md.append("|---|---|---|---|---|")
    ratios = {}
    for o in OBJECTIVES:
        row = []
        for m in ("tpe", "tpe-multivariate"):
            for n in (50, 100):
                a = pct([at_evals(r, n) for r in by[(o, m)].values()], 0.5)
                b = pct([at_evals(r, n) for r in by[(o, "optuna-tpe")].values()], 0.5)
                ratio = a / b if b > 0 else (1.0 if a == b else math.inf)
                ratios[(o, m, n)] = ratio
                row.append("%.2f (%s vs %s)" % (ratio, fmt(a), fmt(b)))
        md.append("| %s | %s |" % (o, " | ".join(row)))
    md.append("\n**BOHB vs random search**: compute (epochs) until the best regret reaches random "
              "search's final median (after 100 evaluations), median over seeds, as a fraction of random "
              "search's 100 evaluations; from scratch / with resumed promotions.\n")
    md.append("| objective | random's final median | bohb | bohb-eta2 | hyperband | hyperband-eta2 | tpe |")
    md.append("|---|---|---|---|---|---|---|")
    for o in OBJECTIVES:
        B = BUDGET.get(o, 27)
        target = pct([at_evals(r, 100) for r in by[(o, "random")].values()], 0.5)
        row = [fmt(target)]
        for m in ("bohb", "bohb-eta2", "hyperband", "hyperband-eta2", "tpe"):
            fr = [pct([compute_to_reach(r, target, col) for r in by[(o, m)].values()], 0.5) / (100 * B)
                  for col in (1, 2)]
            row.append(" / ".join("-" if x == math.inf else "%.2f" % x for x in fr))
        md.append("| %s | %s |" % (o, " | ".join(row)))
    md.append("\n**Resumed promotions**: compute saved when a promoted configuration continues from its "
              "previous rung's checkpoint (1 - resumed / from-scratch epochs over the whole run; the "
              "results are identical, tests/unit/search_resume_test.cpp checks the curves bit for bit).\n")
    md.append("| objective | successive-halving | hyperband | hyperband-eta2 | bohb | bohb-eta2 |")
    md.append("|---|---|---|---|---|---|")
    for o in OBJECTIVES:
        row = []
        for m in ("successive-halving", "hyperband", "hyperband-eta2", "bohb", "bohb-eta2"):
            s = [1 - r[-1][2] / r[-1][1] for r in by[(o, m)].values()]
            row.append("%.1f %%" % (100 * pct(s, 0.5)))
        md.append("| %s | %s |" % (o, " | ".join(row)))
    md.append("\n![median regret curves](search-results.png)\n")
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")

    # The plot: median regret against evaluations (top) and compute (bottom).
    dat = os.path.join(trace_dir, "curves.dat")
    with open(dat, "w") as f:
        for o in OBJECTIVES:
            for m in METHODS:
                if (o, m) not in by:
                    continue
                rs = list(by[(o, m)].values())
                f.write("# %s %s\n" % (o, m))
                for n in range(1, 101):
                    f.write("%d %g\n" % (n, max(pct([at_evals(r, n) for r in rs], 0.5), 1e-4)))
                f.write("\n\n")
                f.write("# %s %s compute\n" % (o, m))
                B = BUDGET.get(o, 27)
                for k in range(1, 101):
                    f.write("%g %g\n" % (k * B, max(pct([at_compute(r, k * B) for r in rs], 0.5), 1e-4)))
                f.write("\n\n")
    gp = ["set terminal pngcairo size 2000,800 font ',9'", "set output '%s'" % out_png,
          "set multiplot layout 2,%d title 'median regret (clamped at 1e-4), up to %d seeds'" % (len(OBJECTIVES), max_seeds),
          "set logscale y", "set key top right font ',7'"]
    index = 0
    blocks = {}
    for o in OBJECTIVES:
        for m in METHODS:
            if (o, m) in by:
                blocks[(o, m, "evals")] = index
                blocks[(o, m, "compute")] = index + 1
                index += 2
    for kind, xlabel in (("evals", "evaluations"), ("compute", "epochs (from scratch)")):
        for o in OBJECTIVES:
            parts = ["'%s' index %d with lines title '%s'" % (dat, blocks[(o, m, kind)], m)
                     for m in METHODS if (o, m, kind) in blocks]
            gp += ["set title '%s'" % o, "set xlabel '%s'" % xlabel, "plot " + ", ".join(parts)]
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", text=True, check=True)


if __name__ == "__main__":
    main()

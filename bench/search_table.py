#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_table.py ...
"""Turns the traces of bench/search_run.sh into bench/search-results.md (every method x
objective x k x budget, median regret with its 95 % interval) and bench/search-results.png
(median regret against evaluations and against epochs, per objective and k). Usage:
  search_table.py TRACE_DIR[,TRACE_DIR] SECONDS_TAKEN OUT.md OUT.png TABULAR.csv[,TABULAR.csv] [HOW]
Several trace folders (e.g. the peers' seeds 1000..1002 from one run and 1003..1019 from a
later one, bench/search_peers_more.sh): one method per objective, method and k with the
seeds of every folder (load). The plot's data (curves.dat) goes to the first folder.
HOW: a sentence on how this run was made (bench/search_run.sh passes its settings).

Trace lines (search-bench run and bench/search_peers/driver.py):
  objective,method,k,seed,evals,epochs,epochs_resumed,best
k = 0: a method whose rounds are its rungs or its grid (its trace does not depend on k),
shown in every k's table. '# skipped METHOD: why' lines name peers that could not run."""
import collections
import glob
import math
import os
import subprocess
import sys

HPOSYNC_FULL = ["random", "tpe", "tpe-multivariate", "tpe-no-liar", "gp"]   # one evaluation = max budget
HPOSYNC_MF = ["grid", "successive-halving", "hyperband", "hyperband-eta2", "bohb", "bohb-eta2"]  # k = 0
PEERS_FULL = ["optuna-random", "optuna-tpe", "optuna-tpe-mv-liar", "optuna-tpe-group", "optuna-tpe-v3", "optuna-gp", "smac-hpo", "hebo"]
PEERS_MF = ["smac-mf", "dehb"]
METHODS = HPOSYNC_FULL + HPOSYNC_MF + PEERS_FULL + PEERS_MF
# hposync's model-based strategies, and the peers' (random search is neither side's best).
HPOSYNC_MODEL = ["tpe", "tpe-multivariate", "tpe-no-liar", "gp", "bohb", "bohb-eta2"]
PEER_MODEL = ["optuna-tpe", "optuna-tpe-mv-liar", "optuna-tpe-group", "optuna-tpe-v3", "optuna-gp", "smac-hpo", "hebo", "smac-mf", "dehb"]
OBJECTIVES = ["quadratic", "noisy", "branin", "hartmann6", "mnist-cnn", "mnist-mlp"]
LEVELS = [25, 50, 100, 200]
# One colour per method (gnuplot's own cycle has 8): hposync's first, then the peers'.
COLORS = ["#000000", "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999",
          "#66c2a5", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
          "#b2df8a", "#fb9a99"]


def median(values):
    v = sorted(values)
    if not v:
        return math.inf
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def median_interval(values):
    """Distribution-free interval for the median from order statistics: (low, high,
    coverage). With 20 seeds it is [6th, 15th] (95.9 %); with too few seeds for 95 %
    it is [min, max] and its coverage says how much less it is."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        return math.inf, math.inf, 0.0
    below, j = 0.0, 0
    for i in range(n + 1):
        below += math.comb(n, i) / 2 ** n  # P(Binomial(n, 1/2) <= i)
        if below > 0.025:
            break
        j = i + 1
    j = max(j, 1)
    tail = sum(math.comb(n, i) for i in range(j)) / 2 ** n
    return v[j - 1], v[n - j], 1 - 2 * tail


def fmt(x):
    if x == math.inf:
        return "-"
    if x == 0:
        return "0"
    return "%.3g" % x


def cell(values):
    lo, hi, _ = median_interval(values)
    return "%s [%s, %s]" % (fmt(median(values)), fmt(lo), fmt(hi))


def load(trace_dirs):
    """{(objective, method, k): {seed: [(evals, epochs, resumed, best)]}}, skipped notes.
    trace_dirs: one folder or several (e.g. a run of seeds 1000..1002 and a later one of
    1003..1019): the same objective, method and k in several files count as one method with
    every seed; a seed found in more than one file keeps its longest run (the others are a
    copy of it or a run cut by a timeout)."""
    runs = {}
    skipped = {}
    for trace_dir in trace_dirs:
        for path in sorted(glob.glob(os.path.join(trace_dir, "*.csv"))):
            one, notes = load_file(path)
            skipped.update(notes)
            for key, seeds in one.items():
                kept = runs.setdefault(key, {})
                for s, rows in seeds.items():
                    if len(rows) > len(kept.get(s, [])):
                        kept[s] = rows
    return runs, skipped


def load_file(path):
    """One trace file: {(objective, method, k): {seed: rows}}, skipped notes."""
    runs = collections.defaultdict(lambda: collections.defaultdict(list))
    skipped = {}
    with open(path) as f:
        for line in f:
            if line.startswith("# skipped "):
                method, why = line[len("# skipped "):].strip().split(": ", 1)
                skipped[method] = why
                continue
            if line.startswith("objective") or line.startswith("#") or not line.strip():
                continue
            fields = line.strip().split(",")
            if len(fields) != 8:
                continue  # the unfinished last line of a trace cut by its timeout
            o, m, k, s, e, ep, er, b = fields
            runs[(o, m, int(k))][int(s)].append((int(e), float(ep), float(er), float(b)))
    return runs, skipped


def complete(runs, evals, budget):
    """Drops the runs a timeout cut short: a full-budget run needs `evals` evaluations, a
    multi-fidelity run evals x budget epochs or its own end (grid, successive halving:
    ends before; those are complete when their trace ends on a whole line, which a cut
    one almost never does at the same place for every seed, so they are kept)."""
    kept, dropped = {}, collections.Counter()
    for (o, m, k), seeds in runs.items():
        for s, rows in seeds.items():
            full = m in HPOSYNC_FULL or m in PEERS_FULL
            if full and rows[-1][0] < evals:
                dropped[(o, m, k)] += 1
                continue
            if m in PEERS_MF and rows[-1][1] < evals * budget[o]:
                dropped[(o, m, k)] += 1
                continue
            kept.setdefault((o, m, k), {})[s] = rows
    return kept, dropped


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
    """(rows: grid points or sampled configurations, epochs, the first line's account of how
    long computing it took)."""
    with open(path) as f:
        first = f.readline().strip()
        lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        header, rows = lines[0].split(","), len(lines) - 1
    epochs = sum(1 for h in header if h.startswith("val_error_e"))
    m = first.split(" computed in ")
    how_long = "computed in " + m[1].split(" by ")[0] if len(m) > 1 else "time to compute not recorded"
    return rows, epochs, how_long


class Data:
    """levels: the evaluation levels of the table; base: the largest level every method was
    run to (the levels above it are some methods' and seeds' longer runs: a cell there counts
    only the runs that went that far, and a method none of whose runs did is not compared).
    Multi-fidelity compute is compared up to base x budget epochs."""
    def __init__(self, by, budget, levels, base, ks):
        self.by, self.budget, self.levels, self.base, self.ks = by, budget, levels, base, ks
        self.epoch_levels = [n for n in levels if n <= base]

    def rows(self, o, m, k):
        """The runs of method m in k's table: its own k, or k = 0 (rounds = rungs)."""
        return list(self.by.get((o, m, k), self.by.get((o, m, 0), {})).values())

    def has(self, o, m, k):
        return (o, m, k) in self.by or (o, m, 0) in self.by

    def reaching(self, o, m, k, n):
        """The runs that count after n evaluations: those that went that far (a method whose
        rounds are its rungs or its grid ends where it ends: every run)."""
        rs = self.rows(o, m, k)
        return rs if m in HPOSYNC_MF or n <= self.base else [r for r in rs if r[-1][0] >= n]

    def med_evals(self, o, m, k, n):
        return median([at_evals(r, n) for r in self.reaching(o, m, k, n)])

    def med_epochs(self, o, m, k, n):
        return median([at_compute(r, n * self.budget[o]) for r in self.rows(o, m, k)])


def full_table(d, md):
    for o in OBJECTIVES:
        if not any(d.has(o, m, k) for m in METHODS for k in d.ks):
            continue
        B = d.budget[o]
        md.append("\n### %s\n" % o)
        for k in d.ks:
            md.append("\n**k = %d** (rounds of %d; k-independent methods: rounds = rungs)\n" % (k, k))
            head = ["after %d evals" % n for n in d.levels] + ["at %d epochs" % (n * B) for n in d.epoch_levels]
            md.append("| method | n | " + " | ".join(head) + " |")
            md.append("|---|---|" + "---|" * len(head))
            for m in METHODS:
                if not d.has(o, m, k):
                    continue
                rs = d.rows(o, m, k)
                cells = []
                for n in d.levels:
                    there = d.reaching(o, m, k, n)
                    cells.append("-" if not there else cell([at_evals(r, n) for r in there]) +
                                 ("" if len(there) == len(rs) else " (n=%d)" % len(there)))
                cells += [cell([at_compute(r, n * B) for r in rs]) for n in d.epoch_levels]
                short = max(r[-1][0] for r in rs)
                side = "hposync " if m in HPOSYNC_FULL + HPOSYNC_MF else ""
                name = side + m + (" (%d evals in all)" % short if short < d.levels[-1] else "")
                md.append("| %s | %d | %s |" % (name, len(rs), " | ".join(cells)))


def best_of(d, o, k, methods, by_epochs, n):
    """(median, method) of the best of `methods` at n evaluations (or n x budget epochs)."""
    cands = [(d.med_epochs(o, m, k, n) if by_epochs else d.med_evals(o, m, k, n), m) for m in methods
             if d.has(o, m, k) and (by_epochs or d.reaching(o, m, k, n))]
    return min(cands) if cands else (math.inf, "-")


def versus_table(d, md):
    """The issue's bar: hposync's best model-based median vs the best peer's."""
    md.append("\n## hposync's best model-based strategy vs the best peer\n")
    md.append("Median regret of the best of hposync's tpe, tpe-multivariate, tpe-no-liar, gp at equal "
              "evaluations (bohb, bohb-eta2 at equal epochs) against the best of the peers' model-based "
              "samplers (Optuna TPE / GP, SMAC HPO, HEBO at equal evaluations; SMAC MF, DEHB at equal "
              "epochs). `lose` rows are the ones to work on.\n")
    md.append("| objective | k | budget | hposync best | peer best | verdict |")
    md.append("|---|---|---|---|---|---|")
    wins, compared = collections.Counter(), collections.Counter()
    losses = []
    for o in OBJECTIVES:
        for k in d.ks:
            for by_epochs in (False, True):
                for n in (d.epoch_levels if by_epochs else d.levels):
                    if by_epochs:
                        h = best_of(d, o, k, ["bohb", "bohb-eta2"], True, n)
                        p = best_of(d, o, k, ["smac-mf", "dehb"], True, n)
                        what = "%d epochs" % (n * d.budget[o])
                    else:
                        h = best_of(d, o, k, ["tpe", "tpe-multivariate", "tpe-no-liar", "gp"], False, n)
                        p = best_of(d, o, k, [m for m in PEER_MODEL if m in PEERS_FULL], False, n)
                        what = "%d evals" % n
                    if h[1] == "-" or p[1] == "-":
                        continue
                    win = h[0] <= p[0]
                    verdict = "win" if win else "lose"
                    if not by_epochs:
                        compared[(k, n)] += 1
                    if win and not by_epochs:
                        wins[(k, n)] += 1
                    if not win:
                        losses.append("%s k=%d %s (%s %s vs %s %s)" % (o, k, what, h[1], fmt(h[0]), p[1], fmt(p[0])))
                    md.append("| %s | %d | %s | %s (%s) | %s (%s) | %s |" % (o, k, what, fmt(h[0]), h[1], fmt(p[0]),
                                                                            p[1], verdict))
    # "of" the objectives compared there: past the base, only those some peer was run to.
    md.append("\nAt equal evaluations, objectives where hposync's best model-based strategy (TPE or GP) is at or below the best peer: " +
              ", ".join("k=%d/%d evals: %s" % (k, n, "%d of %d" % (wins[(k, n)], compared[(k, n)]) if compared[(k, n)]
                                                else "not measured") for k in d.ks for n in d.levels) +
              ".\n")
    return losses


def bohb_table(d, md):
    k = 4 if 4 in d.ks else d.ks[0]
    last = d.base
    md.append("\n## BOHB vs random search\n")
    md.append("Compute (epochs) until the best regret reaches hposync random search's final median (after %d "
              "evaluations, k = %d), median over seeds, as a fraction of random search's %d evaluations; from "
              "scratch / with resumed promotions. The issue's bar: 1/3 or less.\n" % (last, k, last))
    md.append("| objective | random's final median | bohb | bohb-eta2 | hyperband | hyperband-eta2 | tpe |")
    md.append("|---|---|---|---|---|---|---|")
    for o in OBJECTIVES:
        if not d.has(o, "random", k):
            continue
        B = d.budget[o]
        target = d.med_evals(o, "random", k, last)
        row = [fmt(target)]
        for m in ("bohb", "bohb-eta2", "hyperband", "hyperband-eta2", "tpe"):
            if not d.has(o, m, k):
                row.append("not run")
                continue
            fr = [median([compute_to_reach(r, target, col) for r in d.rows(o, m, k)]) / (last * B) for col in (1, 2)]
            row.append(" / ".join("-" if x == math.inf else "%.2f" % x for x in fr))
        md.append("| %s | %s |" % (o, " | ".join(row)))


def plot(d, trace_dir, out_png, max_seeds):
    """Median regret vs evaluations (full-budget methods) and vs epochs (all), per k and
    objective; hposync solid, peers dashed."""
    dat = os.path.join(trace_dir, "curves.dat")
    blocks, index = {}, 0
    objectives = [o for o in OBJECTIVES if any(d.has(o, m, k) for m in METHODS for k in d.ks)]
    last, base = d.levels[-1], d.base
    with open(dat, "w") as f:
        for o in objectives:
            B = d.budget[o]
            for k in d.ks:
                for m in METHODS:
                    if not d.has(o, m, k):
                        continue
                    if m in HPOSYNC_FULL + PEERS_FULL:
                        f.write("# %s %s k=%d evals\n" % (o, m, k))
                        for n in range(1, last + 1):
                            if d.reaching(o, m, k, n):
                                f.write("%d %g\n" % (n, max(d.med_evals(o, m, k, n), 1e-4)))
                        f.write("\n\n")
                        blocks[(o, m, k, "evals")] = index
                        index += 1
                    f.write("# %s %s k=%d epochs\n" % (o, m, k))
                    for i in range(1, 2 * base + 1):
                        c = i * B / 2
                        f.write("%g %g\n" % (c, max(median([at_compute(r, c) for r in d.rows(o, m, k)]), 1e-4)))
                    f.write("\n\n")
                    blocks[(o, m, k, "epochs")] = index
                    index += 1
    rows = 2 * len(d.ks)
    gp = ["set terminal pngcairo size %d,%d font ',9'" % (480 * len(objectives), 420 * rows),
          "set output '%s'" % out_png,
          "set multiplot layout %d,%d title 'median regret (clamped at 1e-4), up to %d seeds (column n of the table per method); hposync solid, peers dashed'"
          % (rows, len(objectives), max_seeds),
          "set logscale y", "set key top right font ',6'"]
    for k in d.ks:
        for kind, xlabel in (("evals", "evaluations"), ("epochs", "epochs (from scratch)")):
            for o in objectives:
                parts = []
                for i, m in enumerate(METHODS):
                    if (o, m, k, kind) in blocks:
                        dt = 1 if m in HPOSYNC_FULL + HPOSYNC_MF else 2
                        parts.append("'%s' index %d with lines lc rgb '%s' dt %d lw 1.5 title '%s'"
                                     % (dat, blocks[(o, m, k, kind)], COLORS[i % len(COLORS)], dt, m))
                gp += ["set title '%s, k = %d'" % (o, k), "set xlabel '%s'" % xlabel,
                       "plot " + ", ".join(parts) if parts else "plot 1 notitle"]
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", text=True, check=True)


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    trace_dirs, took, out_md, out_png, tabular = sys.argv[1:6]
    trace_dirs = [t for t in trace_dirs.split(",") if t]
    how = sys.argv[6] if len(sys.argv) > 6 else ""
    tables = {os.path.splitext(os.path.basename(p))[0]: read_tabular(p) for p in tabular.split(",") if p}
    budget = {o: 27 for o in OBJECTIVES}
    for name, (_, epochs, _) in tables.items():
        budget[name] = epochs
    runs, skipped = load(trace_dirs)
    if not runs:
        sys.exit("search_table: no traces in %s" % ", ".join(trace_dirs))
    # The evaluation levels this run reached: the largest full-budget run's length.
    max_evals = max(rows[-1][0] for (o, m, k), seeds in runs.items() if m in HPOSYNC_FULL + PEERS_FULL
                    for rows in seeds.values())
    levels = [n for n in LEVELS if n <= max_evals] or [max_evals]
    # The level every full-budget method reached: the shortest of the methods' longest runs.
    reached = min(max(rows[-1][0] for rows in seeds.values()) for (o, m, k), seeds in runs.items()
                  if m in HPOSYNC_FULL + PEERS_FULL)
    base = max([n for n in levels if n <= reached] or [levels[0]])
    by, dropped = complete(runs, base, budget)
    ks = sorted(set(k for (_, _, k) in by if k > 0))
    seeds = [len(v) for v in by.values()]
    d = Data(by, budget, levels, base, ks)
    _, _, coverage = median_interval(range(max(seeds)))
    md = ["# Search strategies against today's peers (`make bench-search`)\n"]
    if how:
        md.append(how + "\n")
    measured = ("Measured in one run (%s s wall)" % took if len(trace_dirs) == 1 else
                "Merged from %d trace folders (%s; how each was made is said above; %s s of wall time in all)"
                % (len(trace_dirs), ", ".join(trace_dirs), took))
    md.append("%s, every side on the same objectives and seeds: study seeds "
              "1000..%d (the peers' seeds the same), synchronous rounds of k configurations (k asks, then k "
              "evaluations, then k tells), k = %s. Full-budget methods run %d evaluations%s; multi-fidelity "
              "methods until they have spent the compute of %d full evaluations. Cells: median [95 %% "
              "interval of the median] over the seeds of the **regret** of the best configuration evaluated "
              "at the full budget so far (objective minus the known optimum; `-` = none yet). The interval is "
              "distribution-free (order statistics); with %d seeds its coverage is %.0f %%%s. Compute is "
              "counted in epochs as if every job trained from scratch. Column `n`: seeds measured.\n"
              % (measured, 999 + max(seeds), ", ".join(map(str, ks)), base,
                 "" if base == levels[-1] else
                 (", some methods and seeds %d (a cell after more than %d evaluations counts only the runs "
                  "that went that far: `(n=X)` says how many; a method with none there is not compared)"
                  % (levels[-1], base)), base, max(seeds),
                 100 * coverage, "" if coverage >= 0.95 else " (too few seeds for 95 %: the interval is [min, max])"))
    md.append("Peers (%s): Optuna random; TPE default, which in Optuna 5 is multivariate with the constant "
              "liar; the same spelled out, `optuna-tpe-mv-liar`; `optuna-tpe-v3`: independent TPE without the "
              "liar, Optuna 3's default; GPSampler. SMAC3's HPO facade and multi-fidelity facade (Hyperband). "
              "DEHB. HEBO. Adapters: bench/search_peers/*.py; each evaluates the objectives in Python "
              "(bench/search_peers/objectives.py), checked equal to hposync's C++ values at 1,000 random "
              "points before the run. Optuna's AutoSampler is not in optuna (it is in OptunaHub, fetched at "
              "run time; this bench runs offline): not run.\n" % peer_versions())
    for method, why in sorted(skipped.items()):
        md.append("**%s not run**: %s\n" % (method, why))
    if dropped:
        md.append("**Runs cut by the timeout, not counted**: %s.\n" %
                  ", ".join("%s/%s/k=%d: %d" % (o, m, k, n) for (o, m, k), n in sorted(dropped.items())))
    md.append(objectives_paragraph(tables))
    losses = versus_table(d, md)
    md.append("\n## Every method, objective, k and budget\n")
    full_table(d, md)
    bohb_table(d, md)
    md.append("\n![median regret curves](%s)\n" % os.path.basename(out_png))
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    plot(d, trace_dirs[0], out_png, max(seeds))
    print("search_table: hposync loses %d of the compared rows%s" % (len(losses), ":" if losses else ""))
    for line in losses:
        print("  " + line)


def objectives_paragraph(tables):
    """What each objective is; the tabular ones with their size and the time they took."""
    text = ("Objectives: `synthetic:quadratic` and `synthetic:noisy` (4-D, optimum 0.02 val_error; noisy "
            "adds +-0.02 per epoch, so its regret can go below 0), `synthetic:branin` (2-D) and "
            "`synthetic:hartmann6` (6-D), regret in val_loss, all at 27 epochs (budgets 1..27, eta 3)")
    if "mnist-cnn" in tables:
        n, epochs, how_long = tables["mnist-cnn"]
        text += ("; `mnist-cnn`: real CNN runs on MNIST (bench/tabular/mnist-cnn.csv, %d grid points x %d epochs, "
                 "%s; replayed by nearest grid point; regret against the grid's best validation error after %d "
                 "epochs; budgets 1..%d, eta %d)" % (n, epochs, how_long, epochs, epochs, 3 if epochs >= 9 else 2))
    if "mnist-mlp" in tables:
        n, epochs, how_long = tables["mnist-mlp"]
        text += ("; `mnist-mlp`: real MLP runs on MNIST over 7 keys, two categorical (optimizer sgd / momentum / "
                 "adam; four architectures: 1 or 2 hidden layers, batch-norm, dropout) and one conditional "
                 "(momentum, only for optimizer = momentum), with lr, batch size, width and weight decay "
                 "(bench/tabular/mnist-mlp.csv, %d configurations sampled by hposync's random strategy x %d "
                 "epochs, %s; replayed by the nearest recorded configuration, categorical keys exact; regret "
                 "against the best recorded validation error after %d epochs; budgets 1..%d, eta 3). "
                 "Optuna suggests momentum only under optimizer = momentum, SMAC and DEHB get a ConfigSpace "
                 "InCondition, hposync a `when` clause (conditional keys, since 2026-12-07); HEBO has no "
                 "conditional keys and searches it flat (the lookup ignores it where it is inactive); grid is "
                 "not run there (2 values per numeric key are "
                 "already 384 points)" % (n, epochs, how_long, epochs, epochs))
    return text + ". `-eta2` methods: hposync's with eta 2.\n"


def peer_versions():
    """The installed peers' versions, from the environment's package metadata."""
    from importlib import metadata
    out = []
    for name, dist in (("Optuna", "optuna"), ("SMAC3", "smac"), ("DEHB", "dehb"), ("HEBO", "hebo")):
        try:
            out.append("%s %s" % (name, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            out.append("%s not installed" % name)
    return ", ".join(out)


if __name__ == "__main__":
    main()

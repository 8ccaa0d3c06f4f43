#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_peers/check_objectives.py ...
"""Checks that the peers' Python objectives (objectives.py) give the values hposync's
strategies see (`search-bench eval`, the engine's synthetic trainer and the C++ tabular
lookup) at random points of every objective's space, random budgets and noise seeds.
bench/search_run.sh runs it first; a disagreement stops the bench.

Usage: check_objectives.py SEARCH_BENCH [--tabular CSV[,CSV]] [--points N]
Exit 0 and one line per objective when all agree to 1e-12; exit 1 naming the first
point that does not."""
import math
import random
import subprocess
import sys

from objectives import SYNTHETIC, Objective, tabular_paths


def random_params(objective, rng):
    """A random point; a conditional key whose parent does not use it is left out half the
    time (as the peers with conditions send it) and sent the other half (as hposync does)."""
    params = {}
    for key, fn, args in objective.space:
        if fn == "choice":
            params[key] = rng.choice(args)
            continue
        lo, hi = float(args[0]), float(args[1])
        if fn == "uniform":
            params[key] = rng.uniform(lo, hi)
        elif fn == "loguniform":
            params[key] = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        elif fn == "int":
            params[key] = rng.randint(int(lo), int(hi))
        elif fn == "log2int":
            params[key] = 2 ** rng.randint(int(lo), int(hi))
    for key in list(params):
        cond = objective.parent_of(key)
        if cond and params.get(cond[0]) not in cond[1] and rng.random() < 0.5:
            del params[key]
    return params


def check(bench, name, tabular, points, rng):
    objective = Objective(bench, name, tabular)
    cases = []
    for _ in range(points):
        cases.append((random_params(objective, rng), rng.randint(1, objective.max_budget), rng.getrandbits(63)))
    lines = "".join("%d %d %s\n" % (e, seed, " ".join("%s=%s" % (k, v if isinstance(v, str) else repr(v))
                                                        for k, v in p.items())) for p, e, seed in cases)
    extra = ["--tabular", tabular] if tabular else []
    out = subprocess.run([bench, "eval", name] + extra, input=lines, check=True, capture_output=True,
                         text=True).stdout.split()
    if len(out) != len(cases):
        sys.exit("check_objectives: %s: search-bench eval gave %d values for %d points" % (name, len(out), len(cases)))
    identical = 0
    for (p, e, seed), text in zip(cases, out):
        want, got = float(text), objective.evaluate(p, e, seed)
        if want == got:
            identical += 1
        elif not (math.isfinite(want) and math.isfinite(got) and abs(want - got) <= 1e-12 * max(1.0, abs(want))):
            sys.exit("check_objectives: %s at %s, %d epochs, seed %d: search-bench %r, Python %r"
                     % (name, p, e, seed, want, got))
    print("check_objectives: %s: %d points agree (%d bit for bit)" % (name, len(cases), identical))


def main():
    argv = sys.argv[1:]
    if not argv:
        sys.exit(__doc__)
    bench, tabular, points = argv[0], None, 200
    rest = argv[1:]
    while rest:
        if rest[0] == "--tabular" and len(rest) > 1:
            tabular = rest[1]
        elif rest[0] == "--points" and len(rest) > 1:
            points = int(rest[1])
        else:
            sys.exit(__doc__)
        rest = rest[2:]
    rng = random.Random(29)
    for name in list(SYNTHETIC) + list(tabular_paths(tabular)):
        check(bench, name, tabular, points, rng)


if __name__ == "__main__":
    main()

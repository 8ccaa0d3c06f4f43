#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_optuna.py ...
"""The peers of `make bench-search`: Optuna 3.1's TPESampler and RandomSampler on the
objectives of search-bench, by ask/tell with the same batch per round (10 asks, then 10
tells), the same 100 evaluations, the same seeds (1000..), the same search space (read
from `search-bench space`) and the same evaluation code (`search-bench eval`, one
process per objective, fed one line per trial). Writes the trace format of
`search-bench run` on stdout.

Usage: search_optuna.py SEARCH_BENCH SEEDS [--tabular CSV] [--objectives a,b] [--samplers tpe,random]"""
import math
import subprocess
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def read_space(bench, objective, extra):
    out = subprocess.run([bench, "space", objective] + extra, check=True, capture_output=True, text=True).stdout
    space, info = [], {}
    for line in out.splitlines():
        key, value = [s.strip() for s in line.split("=", 1)]
        if key.startswith("search."):
            fn, args = value.split("(", 1)
            args = [a.strip() for a in args.rstrip(")").split(",")]
            space.append((key[len("search."):], fn.strip(), args))
        else:
            info[key] = float(value)
    return space, info


def suggest(trial, space):
    """The study's dimensions as Optuna distributions; values written as hposync's jobs
    would hold them (log2int: the power of two)."""
    params = {}
    for key, fn, args in space:
        if fn == "uniform":
            params[key] = repr(trial.suggest_float(key, float(args[0]), float(args[1])))
        elif fn == "loguniform":
            params[key] = repr(trial.suggest_float(key, float(args[0]), float(args[1]), log=True))
        elif fn == "int":
            params[key] = str(trial.suggest_int(key, int(args[0]), int(args[1])))
        elif fn == "log2int":
            params[key] = str(2 ** trial.suggest_int(key + "_log2", int(args[0]), int(args[1])))
        elif fn == "choice":
            params[key] = trial.suggest_categorical(key, args)
        else:
            raise ValueError("unknown dimension %s(%s)" % (fn, args))
    return params


def main():
    bench, seeds = sys.argv[1], int(sys.argv[2])
    extra, objectives, samplers = [], ["quadratic", "noisy", "branin", "hartmann6"], ["tpe", "random"]
    argv = sys.argv[3:]
    while argv:
        if argv[0] == "--tabular":
            extra = ["--tabular", argv[1]]
            objectives.append("mnist-cnn")
        elif argv[0] == "--objectives":
            objectives = argv[1].split(",")
        elif argv[0] == "--samplers":
            samplers = argv[1].split(",")
        argv = argv[2:]
    out = sys.stdout
    for objective in objectives:
        space, info = read_space(bench, objective, extra)
        budget, batch, evals = int(info["max_budget"]), int(info["batch"]), int(info["evals"])
        ev = subprocess.Popen([bench, "eval", objective] + extra, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, bufsize=1)
        for method, make in (("optuna-tpe", lambda s: optuna.samplers.TPESampler(seed=s)),
                             ("optuna-random", lambda s: optuna.samplers.RandomSampler(seed=s))):
            if method[len("optuna-"):] not in samplers:
                continue
            for s in range(seeds):
                seed = 1000 + s
                study = optuna.create_study(direction="minimize", sampler=make(seed))
                best, n = math.inf, 0
                while n < evals:
                    asked = [study.ask() for _ in range(batch)]
                    for t in asked:  # the whole round is asked before anything is told
                        params = suggest(t, space)
                        ev.stdin.write("%d %d %s\n" % (budget, 1 + t.number,
                                                        " ".join("%s=%s" % kv for kv in params.items())))
                    ev.stdin.flush()
                    for t in asked:
                        v = float(ev.stdout.readline())
                        study.tell(t, v if math.isfinite(v) else None,
                                   state=None if math.isfinite(v) else optuna.trial.TrialState.FAIL)
                        n += 1
                        best = min(best, v)
                        out.write("%s,%s,%d,%d,%d,%d,%s\n" % (objective, method, seed, n, n * budget, n * budget,
                                                            repr(best) if math.isfinite(best) else "inf"))
        ev.stdin.close()
        ev.wait()


if __name__ == "__main__":
    main()

"""The loop every peer of `make bench-search` runs in: synchronous rounds of k (ask k
configurations, evaluate all k, tell all k), the same objectives, seeds (1000.. by default) and
evaluation budget as hposync's strategies in search-bench, and its trace format on stdout:

    objective,method,k,seed,evals,epochs,epochs_resumed,best

(best = lowest regret among the evaluations at the maximum budget so far, "inf" before
the first; the peers never resume a checkpoint, so epochs_resumed = epochs). A peer that
cannot run here (its package does not import) writes one line "# skipped METHOD: why"
instead, which search_table.py prints under the table.

Usage (each adapter module is a script with this CLI):
  PEER.py SEARCH_BENCH SEEDS [--tabular CSV[,CSV]] [--objectives a,b] [--samplers a,b]
          [--batch 1,4,16] [--evals 200] [--first-seed 1000]

Seeds FIRST_SEED .. FIRST_SEED + SEEDS - 1 (each seed's study is independent of the others,
so `--first-seed 1003` with 17 seeds adds seeds 1003..1019 to a run of 1000..1002).

A full-budget peer runs until it has `evals` evaluations (the last round may overshoot,
as hposync's); a multi-fidelity peer until it has spent evals x max_budget epochs, the
compute hposync's multi-fidelity methods get."""
import math
import os
import shutil
import sys
import tempfile

from objectives import Objective, tabular_paths

OBJECTIVES = ["quadratic", "noisy", "branin", "hartmann6"]


class Peer:
    """What an adapter implements. ask(n) -> [(handle, params, epochs)], params as a job
    holds them (objectives.Objective.evaluate); tell(handle, regret, epochs)."""
    multi_fidelity = False

    def ask(self, n):
        raise NotImplementedError

    def tell(self, handle, regret, epochs):
        raise NotImplementedError


def parse_args(argv, peers):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    args = {"bench": argv[0], "seeds": int(argv[1]), "tabular": None, "objectives": None,
            "samplers": list(peers), "batch": [1, 4, 16], "evals": 200, "first_seed": 1000}
    rest = argv[2:]
    while rest:
        if len(rest) < 2:
            raise SystemExit("%s needs a value" % rest[0])
        flag, value = rest[0], rest[1]
        if flag == "--tabular":
            args["tabular"] = value
        elif flag == "--objectives":
            args["objectives"] = value.split(",")
        elif flag == "--samplers":
            args["samplers"] = value.split(",")
            unknown = [s for s in args["samplers"] if s not in peers]
            if unknown:
                raise SystemExit("unknown sampler(s) %s (this script has: %s)" % (",".join(unknown), ",".join(peers)))
        elif flag == "--batch":
            args["batch"] = [int(k) for k in value.split(",")]
        elif flag == "--evals":
            args["evals"] = int(value)
        elif flag == "--first-seed":
            args["first_seed"] = int(value)
        else:
            raise SystemExit("unknown option %s\n%s" % (flag, __doc__))
        rest = rest[2:]
    if args["objectives"] is None:
        args["objectives"] = OBJECTIVES + list(tabular_paths(args["tabular"]))
    return args


def run_one(out, objective, method, make_peer, k, seed, evals):
    """One study of one peer: rounds of k until the budget is spent; one line per evaluation."""
    workdir = tempfile.mkdtemp(prefix="hposync-bench-%s-" % method)  # the peer's own files, removed after
    try:
        peer = make_peer(objective, k, seed, evals, workdir)
        cap = evals * objective.max_budget
        n, epochs, best = 0, 0, math.inf
        while (epochs < cap) if peer.multi_fidelity else (n < evals):
            asked = peer.ask(k)
            if not asked:
                break
            # The noisy objective's noise seed: the evaluation's number, the same sequence
            # for every peer (hposync uses its job seeds).
            values = [objective.evaluate(params, e, seed=1 + n + i) for i, (_, params, e) in enumerate(asked)]
            for (handle, _, e), v in zip(asked, values):
                peer.tell(handle, v, e)
                n += 1
                epochs += e
                if e >= objective.max_budget:
                    best = min(best, v)
                out.write("%s,%s,%d,%d,%d,%d,%d,%s\n" % (objective.name, method, k, seed, n, epochs, epochs,
                                                       repr(best) if math.isfinite(best) else "inf"))
        out.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(peers, argv=None):
    """peers: {sampler name: (method name, factory(objective, k, seed, evals, workdir))};
    a factory may raise ImportError: the peer is reported skipped, the others still run."""
    args = parse_args(sys.argv[1:] if argv is None else argv, peers)
    out = sys.stdout
    out.write("objective,method,k,seed,evals,epochs,epochs_resumed,best\n")
    skipped = set()
    for name in args["objectives"]:
        objective = Objective(args["bench"], name, args["tabular"])
        for sampler in args["samplers"]:
            method, make_peer = peers[sampler]
            if method in skipped:
                continue
            for k in args["batch"]:
                for s in range(args["seeds"]):
                    try:
                        run_one(out, objective, method, make_peer, k, args["first_seed"] + s, args["evals"])
                    except ImportError as e:
                        why = "%s: %s" % (type(e).__name__, e)
                        out.write("# skipped %s: %s\n" % (method, why.replace("\n", " ")))
                        out.flush()
                        sys.stderr.write("bench-search: %s skipped (%s)\n" % (method, why))
                        skipped.add(method)
                        break
                if method in skipped:
                    break


def quiet_logs():
    """The peers log every trial at INFO; the bench reads only its trace."""
    import logging
    import warnings
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")

#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_peers/hebo_peer.py ...
"""HEBO as a peer of `make bench-search` (CLI: driver.py): HEBO's defaults (GP surrogate,
MACE acquisition, its only one for batches) with suggest(n_suggestions=k), then one
observe of the k results. Seeded through NumPy's and torch's global generators (HEBO
draws from them) and, where the version has it, scramble_seed for its Sobol start.
A diverged run is observed as the worst error rate, 1 (HEBO needs a number).

HEBO 0.3.6 runs with this environment's NumPy 2 and pymoo 0.6.2, although its metadata pins
older ones (requirements/bench-overrides.txt overrides them; the resolver would otherwise pick
0.3.2, which imports pymoo.factory, gone since pymoo 0.6). A HEBO that does not import is
reported skipped, with the error."""
import inspect
import math
import random

from driver import Peer, main, quiet_logs

quiet_logs()
try:  # a package that does not import: the driver reports the peer skipped, with why
    import numpy as np
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO
    IMPORT_ERROR = None
except ImportError as e:
    IMPORT_ERROR = e


def design_space(objective):
    params = []
    for key, fn, args in objective.space:
        if fn == "uniform":
            params.append({"name": key, "type": "num", "lb": float(args[0]), "ub": float(args[1])})
        elif fn == "loguniform":
            params.append({"name": key, "type": "pow", "lb": float(args[0]), "ub": float(args[1])})
        elif fn == "int":
            params.append({"name": key, "type": "int", "lb": int(args[0]), "ub": int(args[1])})
        elif fn == "log2int":  # the exponent is searched, as the other adapters do
            params.append({"name": key + "_log2", "type": "int", "lb": int(args[0]), "ub": int(args[1])})
        elif fn == "choice":  # HEBO has no conditions: a conditional key is searched flat
            params.append({"name": key, "type": "cat", "categories": list(args)})
        else:
            raise ValueError("unknown dimension %s(%s)" % (fn, args))
    return DesignSpace().parse(params)


class HeboPeer(Peer):
    def __init__(self, objective, seed):
        if IMPORT_ERROR:
            raise IMPORT_ERROR
        self.objective = objective
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        extra = {"scramble_seed": seed} if "scramble_seed" in inspect.signature(HEBO.__init__).parameters else {}
        self.hebo = HEBO(design_space(objective), **extra)
        self.round, self.told = None, {}

    def job_params(self, row):
        params = {}
        for key, fn, _ in self.objective.space:
            if fn == "log2int":
                params[key] = 2 ** int(row[key + "_log2"])
            elif fn == "int":
                params[key] = int(row[key])
            elif fn == "choice":
                params[key] = str(row[key])
            else:
                params[key] = float(row[key])
        return params

    def ask(self, n):
        self.round, self.told = self.hebo.suggest(n_suggestions=n), {}
        return [(i, self.job_params(self.round.iloc[i]), self.objective.max_budget) for i in range(len(self.round))]

    def tell(self, i, regret, epochs):
        self.told[i] = regret if math.isfinite(regret) else self.objective.fail_regret
        if len(self.told) == len(self.round):  # HEBO observes the whole round at once
            y = np.array([[self.told[j]] for j in range(len(self.round))])
            self.hebo.observe(self.round, y)


PEERS = {"hebo": ("hebo", lambda o, k, seed, evals, workdir: HeboPeer(o, seed))}

if __name__ == "__main__":
    main(PEERS)

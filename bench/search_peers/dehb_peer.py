#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_peers/dehb_peer.py ...
"""DEHB as a peer of `make bench-search` (CLI: driver.py): ask(n_configs=k), then k
tells, over epochs from min_budget to max_budget with the objective's eta (3), DEHB's
default mutation and crossover. n_workers = 1: more would start a Dask cluster of its
own (DEHB's parallel mode); a batch of k asks is its ask/tell way of running k at once.
A diverged run is told the worst error rate, 1 (DEHB needs a number). DEHB's log and
state files go to a temporary folder the driver removes."""
import math

from driver import Peer, main, quiet_logs
from spaces import configspace, job_params

quiet_logs()
try:  # a package that does not import: the driver reports the peer skipped, with why
    from dehb import DEHB
    from loguru import logger
    IMPORT_ERROR = None
except ImportError as e:
    IMPORT_ERROR = e


class DehbPeer(Peer):
    multi_fidelity = True

    def __init__(self, objective, seed, workdir):
        if IMPORT_ERROR:
            raise IMPORT_ERROR
        self.objective = objective
        # DEHB adds a log file sink to loguru's global logger for each instance: drop the
        # previous run's (its folder is gone) and print nothing on stderr.
        logger.remove()
        cs = configspace(objective, seed)
        self.dehb = DEHB(cs=cs, f=None, dimensions=len(list(cs.values())), min_fidelity=objective.min_budget,
                         max_fidelity=objective.max_budget, eta=objective.eta, seed=seed, n_workers=1,
                         output_path=workdir, save_freq="end")

    def ask(self, n):
        jobs = self.dehb.ask(n_configs=n)
        jobs = jobs if isinstance(jobs, list) else [jobs]
        return [(job, job_params(self.objective, job["config"]), int(round(job["fidelity"]))) for job in jobs]

    def tell(self, job, regret, epochs):
        fitness = regret if math.isfinite(regret) else self.objective.fail_regret
        self.dehb.tell(job, {"fitness": fitness, "cost": float(epochs)})


PEERS = {"dehb": ("dehb", lambda o, k, seed, evals, workdir: DehbPeer(o, seed, workdir))}

if __name__ == "__main__":
    main(PEERS)

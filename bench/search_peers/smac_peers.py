#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_peers/smac_peers.py ...
"""SMAC3's facades as peers of `make bench-search` (CLI: driver.py), by SMAC's ask/tell
interface: k asks, then k tells.

  hpo  HyperparameterOptimizationFacade: random forest, log EI, Sobol initial design
       (at most a quarter of the evaluation budget), its default intensifier; the
       scenario is deterministic except for noisy (then SMAC repeats promising
       configurations on new seeds, each repeat an evaluation).
  mf   MultiFidelityFacade: Hyperband (eta as the objective's, 3) over epochs from
       min_budget to max_budget with the random forest's proposals, SMAC's BOHB-like
       multi-fidelity configuration.

A diverged run (tabular benchmark) is told as CRASHED, its cost the scenario's
crash_cost: the worst error rate, 1. SMAC's files (runhistory, logs) go to a temporary
folder the driver removes."""
import math
from pathlib import Path

from driver import Peer, main, quiet_logs
from spaces import configspace, job_params

quiet_logs()
try:  # a package that does not import: the driver reports the peer skipped, with why
    from smac import HyperparameterOptimizationFacade, MultiFidelityFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue
    from smac.runhistory.enumerations import StatusType
    IMPORT_ERROR = None
except ImportError as e:
    IMPORT_ERROR = e


def never_called(config, seed=0, budget=None):
    raise RuntimeError("ask/tell: SMAC never runs the target itself")


class SmacPeer(Peer):
    def __init__(self, objective, seed, evals, workdir, multi_fidelity):
        if IMPORT_ERROR:
            raise IMPORT_ERROR
        self.objective, self.multi_fidelity = objective, multi_fidelity
        common = dict(configspace=configspace(objective, seed), deterministic=objective.deterministic, seed=seed,
                      output_directory=Path(workdir) / "smac", crash_cost=objective.fail_regret)
        if multi_fidelity:
            # n_trials only sizes the initial design here; the driver stops on epochs spent.
            scenario = Scenario(n_trials=100 * evals, min_budget=objective.min_budget,
                                max_budget=objective.max_budget, **common)
            intensifier = MultiFidelityFacade.get_intensifier(scenario, eta=objective.eta)
            self.smac = MultiFidelityFacade(scenario, never_called, intensifier=intensifier, overwrite=True,
                                            logging_level=False)
        else:
            scenario = Scenario(n_trials=evals, **common)
            self.smac = HyperparameterOptimizationFacade(scenario, never_called, overwrite=True, logging_level=False)

    def ask(self, n):
        asked = []
        for _ in range(n):
            info = self.smac.ask()
            epochs = int(round(info.budget)) if info.budget is not None else self.objective.max_budget
            asked.append((info, job_params(self.objective, info.config), epochs))
        return asked

    def tell(self, info, regret, epochs):
        if math.isfinite(regret):
            self.smac.tell(info, TrialValue(cost=regret))
        else:
            self.smac.tell(info, TrialValue(cost=self.objective.fail_regret, status=StatusType.CRASHED))


PEERS = {
    "hpo": ("smac-hpo", lambda o, k, seed, evals, workdir: SmacPeer(o, seed, evals, workdir, False)),
    "mf": ("smac-mf", lambda o, k, seed, evals, workdir: SmacPeer(o, seed, evals, workdir, True)),
}

if __name__ == "__main__":
    main(PEERS)

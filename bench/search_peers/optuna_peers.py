#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/search_peers/optuna_peers.py ...
"""Optuna 5's samplers as peers of `make bench-search` (CLI: driver.py), each in its
documented configuration for parallel batches: every trial of a round is asked and its
parameters suggested before the next one is asked, so the samplers that look at RUNNING
trials (TPE's constant liar, GPSampler) see the round's earlier members.

  random         RandomSampler(seed)
  tpe            TPESampler(seed): Optuna 5's default is already multivariate=True with
                 constant_liar=True (sampler.py: multivariate None = True for one objective)
  tpe-mv-liar    TPESampler(multivariate=True, constant_liar=True, seed): the same, spelled
                 out (the issue names both; identical traces show the default is this)
  tpe-group      TPESampler(multivariate=True, group=True, constant_liar=True, seed): the
                 setting Optuna documents for conditional spaces (group decomposition of the
                 search space); on a space without conditions it equals tpe
  tpe-v3         TPESampler(multivariate=False, constant_liar=False, seed): Optuna 3's
                 default, the handicapped peer the previous table compared against
  gp             GPSampler(seed, deterministic_objective=True except noisy); it treats
                 running trials by its own batch rule (optuna/samplers/_gp/sampler.py)

Optuna's AutoSampler lives in OptunaHub (downloaded at run time), not in optuna: not run."""
import math

from driver import Peer, main, quiet_logs

quiet_logs()
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


def suggest(trial, objective):
    """The study's dimensions as Optuna distributions, values as a job holds them
    (log2int: Optuna searches the exponent, the job gets the power of two; choice:
    suggest_categorical). A conditional key is suggested only where its parent's value
    uses it (Optuna's define-by-run way: the parent is suggested first, in the space's
    order), so its samplers never see an inactive value."""
    params = {}
    for key, fn, args in objective.space:
        cond = objective.parent_of(key)
        if cond and params.get(cond[0]) not in cond[1]:
            continue
        if fn == "choice":
            params[key] = trial.suggest_categorical(key, list(args))
        elif fn == "uniform":
            params[key] = trial.suggest_float(key, float(args[0]), float(args[1]))
        elif fn == "loguniform":
            params[key] = trial.suggest_float(key, float(args[0]), float(args[1]), log=True)
        elif fn == "int":
            params[key] = trial.suggest_int(key, int(args[0]), int(args[1]))
        elif fn == "log2int":
            params[key] = 2 ** trial.suggest_int(key + "_log2", int(args[0]), int(args[1]))
        else:
            raise ValueError("unknown dimension %s(%s)" % (fn, args))
    return params


class OptunaPeer(Peer):
    def __init__(self, objective, sampler):
        self.objective = objective
        self.study = optuna.create_study(direction="minimize", sampler=sampler)

    def ask(self, n):
        asked = []
        for _ in range(n):
            t = self.study.ask()
            asked.append((t, suggest(t, self.objective), self.objective.max_budget))
        return asked

    def tell(self, trial, regret, epochs):
        if math.isfinite(regret):
            self.study.tell(trial, regret)
        else:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)


def peer(make_sampler):
    return lambda objective, k, seed, evals, workdir: OptunaPeer(objective, make_sampler(objective, seed))


PEERS = {
    "random": ("optuna-random", peer(lambda o, s: optuna.samplers.RandomSampler(seed=s))),
    "tpe": ("optuna-tpe", peer(lambda o, s: optuna.samplers.TPESampler(seed=s))),
    "tpe-mv-liar": ("optuna-tpe-mv-liar",
                    peer(lambda o, s: optuna.samplers.TPESampler(multivariate=True, constant_liar=True, seed=s))),
    "tpe-group": ("optuna-tpe-group",
                  peer(lambda o, s: optuna.samplers.TPESampler(multivariate=True, group=True, constant_liar=True,
                                                               seed=s))),
    "tpe-v3": ("optuna-tpe-v3",
               peer(lambda o, s: optuna.samplers.TPESampler(multivariate=False, constant_liar=False, seed=s))),
    "gp": ("optuna-gp", peer(lambda o, s: optuna.samplers.GPSampler(seed=s, deterministic_objective=o.deterministic))),
}

if __name__ == "__main__":
    main(PEERS)

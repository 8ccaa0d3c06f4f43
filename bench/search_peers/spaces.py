"""The objectives' search spaces (objectives.Objective.space) for the peers that take a
ConfigSpace (SMAC3, DEHB), and back to the values a job holds."""
from ConfigSpace import ConfigurationSpace, Float, Integer


def configspace(objective, seed):
    cs = ConfigurationSpace(seed=seed)
    for key, fn, args in objective.space:
        if fn == "uniform":
            cs.add(Float(key, (float(args[0]), float(args[1]))))
        elif fn == "loguniform":
            cs.add(Float(key, (float(args[0]), float(args[1])), log=True))
        elif fn == "int":
            cs.add(Integer(key, (int(args[0]), int(args[1]))))
        elif fn == "log2int":  # the exponent is searched, as Optuna's adapter does
            cs.add(Integer(key + "_log2", (int(args[0]), int(args[1]))))
        else:
            raise ValueError("unknown dimension %s(%s)" % (fn, args))
    return cs


def job_params(objective, config):
    """A ConfigSpace configuration as the job values objectives.Objective.evaluate takes."""
    params = {}
    for key, fn, _ in objective.space:
        if fn == "log2int":
            params[key] = 2 ** int(config[key + "_log2"])
        elif fn == "int":
            params[key] = int(config[key])
        else:
            params[key] = float(config[key])
    return params

"""The objectives' search spaces (objectives.Objective.space) for the peers that take a
ConfigSpace (SMAC3, DEHB), and back to the values a job holds. choice keys are
Categorical hyperparameters; a conditional key (objectives.Objective.conditions, e.g.
mnist-mlp's momentum, used only when optimizer = momentum) gets ConfigSpace's
InCondition, so SMAC and DEHB leave it inactive where its parent does not use it, unless
`conditions=False` (a peer that cannot take conditions searches it flat; the lookup
ignores it there)."""
from ConfigSpace import Categorical, ConfigurationSpace, Float, InCondition, Integer


def configspace(objective, seed, conditions=True):
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
        elif fn == "choice":
            cs.add(Categorical(key, list(args)))
        else:
            raise ValueError("unknown dimension %s(%s)" % (fn, args))
    if conditions:
        for child, parent, values in objective.conditions:
            cs.add(InCondition(cs[name_in_space(objective, child)], cs[parent], list(values)))
    return cs


def name_in_space(objective, key):
    """The hyperparameter's name in the ConfigSpace (log2int keys search their exponent)."""
    for k, fn, _ in objective.space:
        if k == key:
            return key + "_log2" if fn == "log2int" else key
    raise ValueError("no key %s in the space of %s" % (key, objective.name))


def job_params(objective, config):
    """A ConfigSpace configuration as the job values objectives.Objective.evaluate takes
    (an inactive conditional key is left out)."""
    params = {}
    for key, fn, _ in objective.space:
        name = name_in_space(objective, key)
        if name not in config or config.get(name) is None:
            continue
        if fn == "log2int":
            params[key] = 2 ** int(config[name])
        elif fn == "int":
            params[key] = int(config[name])
        elif fn == "choice":
            params[key] = str(config[name])
        else:
            params[key] = float(config[name])
    return params

"""The objectives of `make bench-search`, in Python, for the peers (Optuna, SMAC3, DEHB,
HEBO): the same functions hposync's strategies see in bench/search_bench.cpp, computed
here instead of through a `search-bench eval` subprocess so a peer's run costs only its
own model. check_objectives.py compares both on random points before every bench run,
and the run stops if they disagree.

The search space, budgets and optimum come from `search-bench space OBJECTIVE`: one
definition of each space (bench/search_bench.cpp) for every side.

- quadratic / noisy: the engine's synthetic trainer (src/engine/synthetic.cpp): val_error
  after `epochs` epochs, floor + (0.9 - floor) exp(-epochs / 2), floor from the distance
  to lr 0.01, momentum 0.5, batch 64, weight decay 0; noisy adds +-0.02 from a splitmix64
  hash of the job seed and the epoch.
- branin / hartmann6: val_loss = f(x) - f* + exp(-epochs / 2) on the unit (hyper)cube.
- mnist-cnn: the tabular benchmark (bench/tabular/mnist-cnn.csv), validation error of the
  nearest grid point (lr and batch size on a log scale) after `epochs` epochs.
- mnist-mlp: the sampled tabular benchmark (bench/tabular/mnist-mlp.csv), validation error
  of the nearest recorded configuration (categorical keys exact, momentum only for
  optimizer = momentum) after `epochs` epochs (trainers/tabular_table.py).
Values are regrets: objective minus the optimum `search-bench space` reports."""
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers"))
from tabular_table import Table  # noqa: E402  the lookups, shared with trainers/tabular_lookup.py

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
BRANIN_MIN = 0.397887357729738
HARTMANN6_MIN = -3.32236801141551
SYNTHETIC = ("quadratic", "noisy", "branin", "hartmann6")


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def hash64(x):
    return mix64((x + GAMMA) & MASK)


def quadratic_distance(p):
    a = math.log10(p["lr"]) + 2
    b = p["momentum"] - 0.5
    d = (math.log2(float(p["batch_size"])) - 6) / 2
    e = 100 * p["weight_decay"]
    return a * a + b * b + d * d + e * e


def branin(p):
    pi = 3.14159265358979323846
    x1, x2 = -5 + 15 * p["momentum"], 15 * p["beta1"]
    b, c, t = 5.1 / (4 * pi * pi), 5 / pi, 1 / (8 * pi)
    a = x2 - b * x1 * x1 + c * x1 - 6
    return a * a + 10 * (1 - t) * math.cos(x1) + 10


ALPHA = (1.0, 1.2, 3.0, 3.2)
A = ((10, 3, 17, 3.5, 1.7, 8), (0.05, 10, 17, 0.1, 8, 14), (3, 3.5, 1.7, 10, 17, 8), (17, 8, 0.05, 10, 0.1, 14))
P = ((0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886), (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
     (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650), (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381))
HARTMANN6_KEYS = ("momentum", "beta1", "beta2", "eps", "label_noise", "weight_decay")


def hartmann6(p):
    x = [p[k] for k in HARTMANN6_KEYS]
    f = 0.0
    for i in range(4):
        e = 0.0
        for j in range(6):
            e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j])
        f -= ALPHA[i] * math.exp(-e)
    return f


def synthetic(fn, p, epochs, seed):
    """The objective the engine reports after `epochs` epochs (val_error for quadratic and
    noisy, val_loss for branin and hartmann6); inf where the engine's run diverges."""
    if fn in ("branin", "hartmann6"):
        regret = branin(p) - BRANIN_MIN if fn == "branin" else hartmann6(p) - HARTMANN6_MIN
        return max(regret, 0.0) + math.exp(-epochs / 2)
    if p["lr"] >= 1:
        return math.inf  # the engine's synthetic runs diverge at lr >= 1
    q = quadratic_distance(p)
    floor = 0.02 + 0.88 * q / (1 + q)
    err = floor + (0.9 - floor) * math.exp(-float(epochs) / 2)
    if fn == "noisy":
        h = hash64((seed & MASK) ^ hash64(epochs))
        err += 0.02 * (float(h >> 11) / float(1 << 53) * 2 - 1)
    return min(max(err, 0.0), 1.0)


def tabular_paths(tabular):
    """--tabular's comma list -> {objective name (the file's stem): path}."""
    return {os.path.splitext(os.path.basename(p))[0]: p for p in (tabular or "").split(",") if p}


class Objective:
    """One objective: its space (key, fn, args), conditions (child, parent, {values}: the
    child is used only where the parent takes one of the values), budgets and optimum from
    `search-bench space`, and evaluate(params, epochs, seed) -> regret (inf: the run
    diverged).

    params hold the values a job would: floats, ints, the power of two for log2int and the
    chosen text for choice; an inactive conditional key may be absent."""

    def __init__(self, bench, name, tabular=None):
        extra = ["--tabular", tabular] if tabular else []
        out = subprocess.run([bench, "space", name] + extra, check=True, capture_output=True, text=True).stdout
        self.name, self.space, self.conditions, info = name, [], [], {}
        for line in out.splitlines():
            key, value = [s.strip() for s in line.split("=", 1)]
            if key == "condition":
                child, parent_values = line.split("=", 1)[1].split(" if ", 1)
                parent, values = parent_values.split("=", 1)
                self.conditions.append((child.strip(), parent.strip(), [v.strip() for v in values.split("|")]))
            elif key.startswith("search."):
                fn, args = value.split("(", 1)
                self.space.append((key[len("search."):], fn.strip(), [a.strip() for a in args.rstrip(")").split(",")]))
            else:
                info[key] = float(value)
        self.optimum = info["optimum"]
        self.min_budget, self.max_budget = int(info["min_budget"]), int(info["max_budget"])
        self.eta = int(info["eta"])
        # The synthetic runs and the tabular replay are deterministic except noisy's +-0.02.
        self.deterministic = name != "noisy"
        self.table = None
        if name not in SYNTHETIC:
            paths = tabular_paths(tabular)
            if name not in paths:
                raise ValueError("objective %s needs --tabular .../%s.csv" % (name, name))
            self.table = Table(paths[name])
            if abs(self.table.best - self.optimum) > 1e-12:
                raise ValueError("%s: best %r differs from search-bench's optimum %r" % (tabular, self.table.best,
                                                                                         self.optimum))
        # What a peer that cannot take inf is told for a diverged run: the worst value an
        # error rate can have (only quadratic, noisy and the tabular one report errors).
        self.fail_regret = 1.0 - self.optimum

    def parent_of(self, key):
        """(parent, values) if key is conditional, else None."""
        for child, parent, values in self.conditions:
            if child == key:
                return parent, values
        return None

    def evaluate(self, params, epochs, seed):
        if self.table is not None:
            v = self.table.lookup(params, epochs)
        else:
            v = synthetic(self.name, params, epochs, seed)
        return v - self.optimum if math.isfinite(v) else math.inf

"""The trainer side of hposync's trainer contract (docs/PROTOCOL.md, "Trainer contract").

Standard library plus numpy. A trainer does:

    import hposync_trainer as ht
    run = ht.Run()                       # reads --job/--out or HPOSYNC_*, installs SIGTERM
    splits = ht.load_splits(run)         # the engine's own train/val/test split
    for epoch ...:
        for batch ...:
            ... one update ...
            run.update(loss)             # appends "update,<step>,<t>,loss,<loss>"
            if run.should_stop(): break  # SIGTERM/SIGINT/SIGUSR1 or the time budget
        run.epoch(train_loss, val_loss, val_error)
    run.finish(status="ok", test_loss=..., test_accuracy=...)

or lets ht.train_epochs(...) run those loops (the shipped torch and sklearn trainers do).

`t` is training time: run.paused() excludes evaluation, as the engine does.
"""

import gzip
import importlib
import math
import os
import signal
import struct
import sys
import time

# Which package of which lock group provides a module, and the command that installs it
# (requirements/<group>.lock; README, "Python environment").
_PACKAGES = {"numpy": ("numpy", "main"), "sklearn": ("scikit-learn", "main"), "keras": ("keras", "main"),
             "jax": ("jax", "main"), "torch": ("torch", "torch")}
_INSTALL = {"main": "make deps", "torch": "make deps-torch"}
_MISSING = []  # reasons found before a Run existed to report them (numpy, below)


def missing_reason(module):
    package, group = _PACKAGES.get(module.split(".")[0], (module, "main"))
    return (f"this trainer needs the Python package '{package}', which the environment {sys.prefix} "
            f"does not have: run '{_INSTALL.get(group, 'make deps')}' in the hposync checkout")


def require(module):
    """Imports `module`. Without it the job gets a failed result naming the package and the
    command that installs it (the worker stays up and goes on with other jobs)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        run = Run()
        run.finish(status="failed", reason=missing_reason(e.name or module))
        sys.exit(0)


try:
    import numpy as np
except ModuleNotFoundError as _e:  # reported by Run() as a failed result
    np = None
    _MISSING.append(missing_reason(_e.name or "numpy"))

_STARTED = time.monotonic()
# Installed at import, before the trainer imports torch or sklearn (seconds): a SIGTERM
# (time budget, hand-back) that arrives while it is still starting must not kill it.
_SIGNALLED = []
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
    signal.signal(_sig, lambda signum, frame: _SIGNALLED.append(signum))


# ---- the job file: key = value lines, '#' comments -----------------------------------
def read_job(path):
    job = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if "=" not in line:
                raise ValueError(f"{path}:{n}: expected key = value")
            k, v = line.split("=", 1)
            job[k.strip()] = v.strip()
    if job.get("format") != "hposync-job 1":
        raise ValueError(f"{path}: format is not 'hposync-job 1'")
    return job


def as_bool(text):
    t = text.lower()
    if t in ("true", "yes", "1", "on"):
        return True
    if t in ("false", "no", "0", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


class Job:
    """Typed access to the job's keys with the engine's defaults (engine/train.hpp)."""

    def __init__(self, kv):
        self.kv = kv
        g = kv.get
        self.id = kv["id"]
        self.dataset = g("dataset", "mnist")
        self.train_subset = int(g("train_subset", "0"))
        self.val_fraction = float(g("val_fraction", "0.1"))
        self.test_subset = int(g("test_subset", "0"))
        self.model = g("model", "mlp:128").replace("{filters}", g("filters", "16"))
        self.optimizer = g("optimizer", "sgd")
        self.lr = float(g("lr", "0.01"))
        self.momentum = float(g("momentum", "0.9"))
        self.beta1 = float(g("beta1", "0.9"))
        self.beta2 = float(g("beta2", "0.999"))
        self.eps = float(g("eps", "1e-08"))
        self.weight_decay = float(g("weight_decay", "0"))
        self.batch_size = int(g("batch_size", "64"))
        self.epochs = int(g("epochs", "1"))
        self.time_budget_s = float(g("time_budget_s", "0"))
        self.shuffle = as_bool(g("shuffle", "true"))
        self.seed = int(g("seed", "1"))
        self.record_updates = as_bool(g("record_updates", "true"))
        self.label_noise = float(g("label_noise", "0"))
        self.normalize = as_bool(g("normalize", "true"))
        self.init_weights = g("init_weights", "own")
        if self.init_weights not in ("own", "hposync"):
            raise ValueError(f"init_weights {self.init_weights!r}: expected own or hposync")
        if self.optimizer not in ("sgd", "momentum", "nesterov", "adam"):
            raise ValueError(f"optimizer {self.optimizer!r}: expected sgd, momentum, nesterov or adam")
        if self.epochs <= 0 and self.time_budget_s <= 0:
            raise ValueError("epochs = 0 needs time_budget_s > 0")

    def hidden_layers(self):
        """mlp:1024-512-256-128 -> [1024, 512, 256, 128]."""
        if not self.model.startswith("mlp:"):
            raise ValueError(f"model {self.model!r}: this trainer runs mlp:<sizes> only")
        return [int(x) for x in self.model[4:].split("-") if x]


# ---- the run: arguments, signals, curves, metrics ---------------------------------------
class Run:
    def __init__(self, argv=None):
        argv = sys.argv[1:] if argv is None else argv
        opts = {}
        i = 0
        while i < len(argv):
            if argv[i] in ("--job", "--out") and i + 1 < len(argv):
                opts[argv[i]] = argv[i + 1]
                i += 2
            else:
                raise SystemExit(f"usage: {sys.argv[0]} --job FILE --out DIR (unknown argument {argv[i]!r})")
        env = os.environ.get
        self.job_path = opts.get("--job") or env("HPOSYNC_JOB")
        self.out = opts.get("--out") or env("HPOSYNC_OUT")
        if not self.job_path or not self.out:
            raise SystemExit("need --job FILE --out DIR (or HPOSYNC_JOB / HPOSYNC_OUT)")
        self.job = Job(read_job(self.job_path))
        self.data_dir = env("HPOSYNC_DATA") or "data"
        self.threads = int(env("HPOSYNC_THREADS") or "0")
        self.checkpoint = env("HPOSYNC_CHECKPOINT") or ""
        # The runner enforces the budget (SIGTERM); we also stop on our own clock, so the
        # trainer keeps to it when run by hand.
        self.budget = float(env("HPOSYNC_TIME_BUDGET") or self.job.time_budget_s)
        self.seed = int(env("HPOSYNC_SEED") or self.job.seed)
        os.makedirs(self.out, exist_ok=True)
        self.budget_exhausted = False
        self._curves = open(os.path.join(self.out, "curves.csv"), "w", encoding="ascii")
        self._curves.write("kind,index,t,metric,value\n")
        self._last_flush = time.monotonic()
        self.step = 0
        self.epochs_done = 0
        self._train_clock = 0.0      # training seconds before the current stretch
        self._since = None           # start of the current stretch, None while paused
        self.last_epoch = None
        self.diverged_step = -1
        if _MISSING:
            self.finish(status="failed", reason=_MISSING[0])
            sys.exit(0)

    # Training time: runs between start_clock() and pause(), as in engine/train.hpp.
    def start_clock(self, already=0.0):
        self._train_clock = already
        self._since = time.monotonic()

    def t(self):
        return self._train_clock + (time.monotonic() - self._since if self._since is not None else 0.0)

    class _Paused:
        def __init__(self, run):
            self.run = run

        def __enter__(self):
            self.run._train_clock = self.run.t()
            self.run._since = None

        def __exit__(self, *exc):
            self.run._since = time.monotonic()

    def paused(self):
        return Run._Paused(self)

    def should_stop(self):
        if self.budget > 0 and time.monotonic() - _STARTED >= self.budget:
            self.budget_exhausted = True
            return True
        return bool(_SIGNALLED)

    def stopped_by_signal(self):
        return bool(_SIGNALLED)

    def _flush(self, force=False):
        now = time.monotonic()
        if force or now - self._last_flush >= 0.5:  # the curves' growth is our heartbeat
            self._curves.flush()
            self._last_flush = now

    def update(self, loss):
        """Records update number self.step + 1; returns False if the loss is not finite."""
        self.step += 1
        if not math.isfinite(loss):
            self.diverged_step = self.step
            return False
        if self.job.record_updates:
            self._curves.write(f"update,{self.step},{self.t():.4f},loss,{loss:.6g}\n")
        self._flush()
        return True

    def epoch(self, train_loss, val_loss, val_error, complete=True):
        if complete:
            self.epochs_done += 1
        index = self.epochs_done if complete else self.epochs_done + 1
        t = f"{self.t():.6g}"
        for name, v in (("train_loss", train_loss), ("val_loss", val_loss), ("val_error", val_error)):
            self._curves.write(f"epoch,{index},{t},{name},{v:.6g}\n")
        self._flush(force=True)
        self.last_epoch = (train_loss, val_loss, val_error)

    def finish(self, status="ok", reason="", **metrics):
        """Writes metrics.txt (last, atomically) and closes the curves."""
        self._flush(force=True)
        self._curves.close()
        lines = ["format = hposync-metrics 1", f"status = {status}"]
        if reason:
            lines.append("reason = " + " ".join(str(reason).split())[:500])
        metrics.setdefault("steps", self.step)
        metrics.setdefault("epochs_done", self.epochs_done)
        metrics.setdefault("train_seconds", self.t())
        metrics.setdefault("diverged_step", self.diverged_step)
        if self.last_epoch:
            metrics.setdefault("final_train_loss", self.last_epoch[0])
            metrics.setdefault("final_val_loss", self.last_epoch[1])
            metrics.setdefault("final_val_error", self.last_epoch[2])
        metrics.setdefault("budget_exhausted", self.budget_exhausted)
        for k, v in metrics.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, float):
                v = repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
            lines.append(f"{k} = {v}")
        write_atomic(os.path.join(self.out, "metrics.txt"), "\n".join(lines) + "\n")


def read_weights(path):
    """A weights file (format hposync-weights 1, docs/PROTOCOL.md section 10): the engine's
    initial weights as [(name, float32 array)], in layer order, in the engine's layouts
    (dense [out][in], convolution [out][in][kh][kw], bias [out], batch-norm gamma, beta)."""
    with open(path, "rb") as f:
        raw = f.read()
    marker = b"data = float32-le\n"
    at = raw.find(marker)
    head = raw[:max(at, 0)].decode("ascii", "replace").splitlines()
    if at < 0 or not head or head[0] != "format = hposync-weights 1":
        raise ValueError(f"{path}: not a 'format = hposync-weights 1' file")
    data = np.frombuffer(raw, dtype="<f4", offset=at + len(marker))
    out, pos = [], 0
    for line in head[1:]:
        key, _, value = line.partition(" = ")
        if key == "tensor":
            name, count = value.split()
            out.append((name, data[pos:pos + int(count)]))
            pos += int(count)
    if pos != len(data):
        raise ValueError(f"{path}: the tensors list {pos} floats, the file holds {len(data)}")
    return out


def initial_weights(run):
    """The engine's initial weights when the job asks for them (init_weights = hposync),
    else None (the trainer's own initialiser, seeded)."""
    if run.job.init_weights != "hposync":
        return None
    path = os.environ.get("HPOSYNC_INIT_WEIGHTS")
    if not path:
        raise ValueError("init_weights = hposync, but HPOSYNC_INIT_WEIGHTS is not set (hpo-worker writes it)")
    return read_weights(path)


def train_epochs(run, n, new_order, forward, commit, validate, save_state, position=None):
    """The epoch / update loop of the shipped trainers, with the engine's rules: one
    curves row per update, a non-finite loss ends the run as diverged (that update is
    not applied), one row per epoch (a partial one when a stop cuts it), and on a stop
    signal a checkpoint of the exact position so a resumed run continues the same batch
    order.

    new_order()   -> a permutation of range(n) for the next epoch
    forward(idx)  -> (loss, remark) of the batch `idx` (remark: why, if it failed)
    commit()      applies the update whose loss was accepted (None: forward applied it)
    validate()    -> (val_loss, val_error), timed as paused
    save_state(position) writes the checkpoint; position = {epoch, batch, order, t, step}
    position      the position a checkpoint gave, or None for a fresh run
    Returns (status, reason).
    """
    job = run.job
    epoch, batch, order = 1, 0, None
    if position:
        epoch, batch, order = position["epoch"], position["batch"], position["order"]
        run.step, run.epochs_done = position["step"], position["epoch"] - 1
    run.start_clock(position["t"] if position else 0.0)
    if run.should_stop():  # the budget ran out (or a stop came) while it was starting up
        return "ok", ""
    bs = job.batch_size
    batches = math.ceil(n / bs)
    while job.epochs <= 0 or epoch <= job.epochs:
        if order is None:
            order = new_order()
        total, count = 0.0, 0
        while batch < batches:
            value, remark = forward(order[batch * bs:(batch + 1) * bs])
            if not run.update(value):
                return "diverged", f"loss became {value} at step {run.step} (lr={job.lr:g}) {remark}".strip()
            if commit:
                commit()
            total += value
            count += 1
            batch += 1
            if run.should_stop():
                break
        stopping = run.should_stop() and batch < batches
        with run.paused():
            vl, ve = validate()
        run.epoch(total / max(count, 1), vl, ve, complete=not stopping)
        if stopping or run.should_stop():
            if run.checkpoint and run.stopped_by_signal():
                save_state({"epoch": epoch if stopping else epoch + 1, "batch": batch if stopping else 0,
                            "order": order if stopping else None, "t": run.t(), "step": run.step})
            break
        epoch, batch, order = epoch + 1, 0, None
    return "ok", ""


def write_atomic(path, data, mode="w"):
    tmp = os.path.join(os.path.dirname(path) or ".", "." + os.path.basename(path) + f".tmp.{os.getpid()}")
    with open(tmp, mode) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- data: the engine's files, subset, split and normalisation --------------------------
class MT19937_64:
    """std::mt19937_64, bit for bit (its output stream is fixed by the C++ standard)."""

    def __init__(self, seed):
        m = (1 << 64) - 1
        self.mt = [seed & m]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & m)
        self.i = 312

    def _twist(self):
        mt = self.mt
        for k in range(312):
            x = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % 312] & 0x7FFFFFFF)
            y = x >> 1
            if x & 1:
                y ^= 0xB5026F5AA96619E9
            mt[k] = mt[(k + 156) % 312] ^ y
        self.i = 0

    def __call__(self):
        if self.i >= 312:
            self._twist()
        x = self.mt[self.i]
        self.i += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & ((1 << 64) - 1)


def seeded_permutation(n, seed):
    """data::seeded_permutation: Fisher-Yates from the back with unbiased draws."""
    p = list(range(n))
    rng = MT19937_64(seed)
    for i in range(n, 1, -1):
        reject_below = ((1 << 64) - i) % i
        while True:
            r = rng()
            if r >= reject_below:
                break
        j = r % i
        p[i - 1], p[j] = p[j], p[i - 1]
    return p


def _open(path):
    for p in (path, path + ".gz"):
        if os.path.isfile(p):
            return gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")
    raise FileNotFoundError(f"cannot find {path}[.gz] (run `make data`; data folder from HPOSYNC_DATA)")


def load_idx(path):
    """An IDX file (MNIST format): images as float32 in [0, 1] (n, 1, h, w), labels as int64."""
    with _open(path) as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if arr.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {arr.size} bytes of data for shape {shape}")
    if dims == 1:
        return arr.astype(np.int64)
    return (arr.reshape(shape[0], 1, shape[1], shape[2]).astype(np.float32)) / np.float32(255.0)


def _load_cifar(files):
    xs, ys = [], []
    for path in files:
        with _open(path) as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8).reshape(-1, 3073)
        ys.append(raw[:, 0].astype(np.int64))
        xs.append(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / np.float32(255.0))
    return np.concatenate(xs), np.concatenate(ys)


def load_raw(dataset, root):
    if dataset in ("mnist", "fashion-mnist"):
        d = os.path.join(root, dataset)
        return (load_idx(os.path.join(d, "train-images-idx3-ubyte")), load_idx(os.path.join(d, "train-labels-idx1-ubyte")),
                load_idx(os.path.join(d, "t10k-images-idx3-ubyte")), load_idx(os.path.join(d, "t10k-labels-idx1-ubyte")))
    if dataset == "cifar10":
        d = os.path.join(root, "cifar10", "cifar-10-batches-bin")
        xtr, ytr = _load_cifar([os.path.join(d, f"data_batch_{i}.bin") for i in range(1, 6)])
        xte, yte = _load_cifar([os.path.join(d, "test_batch.bin")])
        return xtr, ytr, xte, yte
    raise ValueError(f"unknown data set {dataset!r} (mnist, fashion-mnist, cifar10)")


def load_splits(run):
    """(x_train, y_train, x_val, y_val, x_test, y_test) exactly as the engine splits them:
    one seeded permutation of the training file (seed ^ 0xDA7A5E7), the first
    floor(n * val_fraction) for validation; normalised with the training split's
    per-channel mean and std."""
    job = run.job
    if job.label_noise > 0:
        raise ValueError("label_noise is not supported by this trainer (use the built-in one)")
    xtr_all, ytr_all, xte, yte = load_raw(job.dataset, run.data_dir)
    n = len(ytr_all) if job.train_subset <= 0 else min(len(ytr_all), job.train_subset)
    order = np.array(seeded_permutation(len(ytr_all), run.seed ^ 0xDA7A5E7), dtype=np.int64)
    n_val = int(math.floor(n * job.val_fraction))
    xva, yva = xtr_all[order[:n_val]], ytr_all[order[:n_val]]
    xtr, ytr = xtr_all[order[n_val:n]], ytr_all[order[n_val:n]]
    if job.test_subset > 0:
        xte, yte = xte[:job.test_subset], yte[:job.test_subset]
    if job.normalize:
        mean = xtr.mean(axis=(0, 2, 3), dtype=np.float64)
        var = (xtr.astype(np.float64) ** 2).mean(axis=(0, 2, 3)) - mean ** 2
        std = np.sqrt(np.maximum(var, 1e-12))
        m = mean.reshape(1, -1, 1, 1).astype(np.float32)
        s = std.reshape(1, -1, 1, 1).astype(np.float32)
        xtr, xva, xte = (xtr - m) / s, (xva - m) / s, (xte - m) / s
    return xtr, ytr, xva, yva, xte, yte


def fail(run, exc):
    """The job's own problem (bad data, unsupported key): a failed result, exit 0."""
    run.finish(status="failed", reason=f"{type(exc).__name__}: {exc}")

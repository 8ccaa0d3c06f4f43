"""The trainer side of hposync's trainer contract (docs/PROTOCOL.md, "Trainer contract").

Standard library plus numpy. A trainer does:

    import hposync_trainer as ht
    run = ht.Run()                       # reads --job/--out or HPOSYNC_*, installs SIGTERM
    splits = ht.load_splits(run)         # the engine's own train/val/test split
    ... build the model (setup: not budget) ...
    run.start_clock()                    # training starts: creates curves.csv
    for epoch ...:
        for batch ...:
            ... one update ...
            run.update(loss)             # appends "update,<step>,<t>,loss,<loss>"
            if run.should_stop(): break  # SIGTERM/SIGINT/SIGUSR1 or the time budget
        with run.paused():
            ... validate ...
        run.epoch(train_loss, val_loss, val_error)
    run.finish(status="ok", test_loss=..., test_accuracy=...)

or lets ht.train_epochs(...) run those loops (the shipped torch, sklearn and keras
trainers do).

One clock (docs/PROTOCOL.md, "Trainer contract"): `t`, train_seconds and the time budget
count the training loop only (forward, backward, update, loss bookkeeping), from
train_epochs' start_clock(); run.paused() excludes evaluation, as the engine does.
Interpreter start, imports, data loading and model building are setup_seconds, reported
apart. curves.csv is created when the training clock starts: its appearance tells the
worker that the budget begins.

Checkpoints are data (save_checkpoint / load_checkpoint): an uncompressed .npz read with
allow_pickle=False, carrying the job's identity; a torn, foreign or unreadable one means
"start the job over", never a failed result and never code that runs.
"""

import gzip
import importlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import stat
import struct
import sys
import time
import zipfile

import hposync_keyvalue as kv

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

def _process_age():
    """Seconds since this process started (the shell of the trainer's first lines exec'd
    the interpreter in the same process), so that setup_seconds includes the interpreter's
    start and the imports before this module. 0 where /proc is not there."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime, ticks after boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


# When this process started, on the monotonic clock: setup_seconds count from here.
_STARTED = time.monotonic() - _process_age()
# Installed at import, before the trainer imports torch or sklearn (seconds): a SIGTERM
# (time budget, hand-back) that arrives while it is still starting must not kill it.
_SIGNALLED = []
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
    signal.signal(_sig, lambda signum, frame: _SIGNALLED.append(signum))


# ---- the protocol's tables: `hpo-train --schema json` ----------------------------------
def _hpo_train():
    """The hpo-train binary of this installation: $HPOSYNC_BIN, else beside the worker
    that started this trainer (its parent process), else on PATH, else the checkout's
    build/bin next to trainers/."""
    places = []
    if os.environ.get("HPOSYNC_BIN"):
        places.append(os.path.join(os.environ["HPOSYNC_BIN"], "hpo-train"))
    try:
        places.append(os.path.join(os.path.dirname(os.readlink(f"/proc/{os.getppid()}/exe")), "hpo-train"))
    except OSError:
        pass
    on_path = shutil.which("hpo-train")
    if on_path:
        places.append(on_path)
    places.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin", "hpo-train"))
    for p in places:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise RuntimeError("hposync_trainer: no hpo-train binary (set HPOSYNC_BIN to the folder holding it); "
                       "tried " + ", ".join(places))


_SCHEMA = {}
_FORMAT = {}


def file_format(kind):
    """The format line's value of a file kind (`hpo-train --schema json`), e.g. the metrics
    file's, which metrics.txt starts with."""
    schema(kind)
    return _FORMAT[kind]


def schema(kind):
    """The fields of one protocol file kind (job, result, metrics, attempts, worker) as
    `hpo-train --schema json` exports them: {name: {"type", "default", "range", ...}}.
    Read once per process."""
    if not _SCHEMA:
        out = subprocess.run([_hpo_train(), "--schema", "json"], check=True, capture_output=True, text=True).stdout
        for f in json.loads(out)["files"]:
            _SCHEMA[f["kind"]] = {field["name"]: field for field in f["fields"]}
            _FORMAT[f["kind"]] = f["format"]
    return _SCHEMA[kind]


def read_job(path):
    job = kv.read(path)
    # Version 2 = version 1 plus the trainer's own parameters (param.<name>; job_file.hpp).
    if job.get("format") not in (file_format("job"), "hposync-job 2"):
        raise ValueError(f"{path}: format is not '{file_format('job')}' or 'hposync-job 2'")
    return job


as_bool = kv.as_bool


def typed_value(field, text, where):
    """A job value as Python: int, float, bool or str by the schema's type, checked
    against its range and choices."""
    kind = field["type"]
    try:
        v = (kv.as_integer(text) if kind == "integer" else kv.as_number(text) if kind == "number"
             else kv.as_bool(text) if kind == "boolean" else text)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    if kind in ("integer", "number") and not field["lo"] <= v <= field["hi"]:
        raise ValueError(f"{where}: {text} is outside {field['range']}")
    if field.get("choices") and v not in field["choices"]:
        raise ValueError(f"{where}: {v!r} is not one of {', '.join(field['choices'])}")
    return v


class Job:
    """Typed access to the job's keys (job.lr, job.batch_size, ...) with the defaults and
    ranges of the job-key table, read from `hpo-train --schema json`."""

    def __init__(self, kv_pairs):
        self.kv = kv_pairs
        fields = schema("job")
        for name, field in fields.items():
            if name == "format":
                continue
            text = kv_pairs.get(name, field["default"])
            if text is None and name == "id":
                raise ValueError("job: missing required key 'id'")
            setattr(self, name, None if text is None else typed_value(field, text, f"job: key '{name}'"))
        self.model = self.model.replace("{filters}", str(self.filters))
        if self.epochs <= 0 and self.time_budget_s <= 0:
            raise ValueError("epochs = 0 needs time_budget_s > 0")
        # The trainer's own parameters (`param.<name> = <value>`, job format 2): declared by
        # the study's trainer_params, checked by the master (docs/PROTOCOL.md, "Trainer
        # parameters"). Text here; param() converts.
        self.params = {k[len("param."):]: v for k, v in kv_pairs.items() if k.startswith("param.")}

    def param(self, name, default, convert=float):
        """The trainer parameter `name` as `convert` makes it, or `default` when the job
        has none (the study neither fixed nor searched it)."""
        return convert(self.params[name]) if name in self.params else default

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
        self.data_dir = env("HPOSYNC_DATA") or "data"
        self.threads = int(env("HPOSYNC_THREADS") or "0")
        self.checkpoint = env("HPOSYNC_CHECKPOINT") or ""
        os.makedirs(self.out, exist_ok=True)
        self._curves = None          # opened by start_clock(): training starts then
        self._last_flush = time.monotonic()
        self.step = 0
        self.epochs_done = 0
        self._train_clock = 0.0      # training seconds before the current stretch
        self._since = None           # start of the current stretch, None while paused
        self._segment = (0.0, 0)     # (t, step) when this process's training began
        self.setup_seconds = None    # process start -> training clock start
        self.budget = 0.0            # from the job, below
        self.budget_exhausted = False
        self.last_epoch = None
        self.diverged_step = -1
        if _MISSING:
            self.finish(status="failed", reason=_MISSING[0])
            sys.exit(0)
        self.job = Job(read_job(self.job_path))
        # The budget counts training seconds (one clock: docs/PROTOCOL.md). The worker
        # also enforces it (SIGTERM); we stop on our own clock, so the trainer keeps to it
        # when run by hand, and stops before an update that would end past it.
        self.budget = float(env("HPOSYNC_TIME_BUDGET") or self.job.time_budget_s)
        self.seed = int(env("HPOSYNC_SEED") or self.job.seed)

    # Training time: runs between start_clock() and pause(), as in engine/train.hpp.
    def start_clock(self, already=0.0):
        """Starts the training clock (at `already` seconds for a resumed run). Everything
        before is setup; curves.csv is created now, and its appearance starts the worker's
        budget clock."""
        if self._curves is None:
            self.setup_seconds = time.monotonic() - _STARTED
            self._curves = open(os.path.join(self.out, "curves.csv"), "w", encoding="ascii")
            self._curves.write("kind,index,t,metric,value\n")
            self._flush(force=True)
        self._train_clock = already
        self._since = time.monotonic()
        self._segment = (already, self.step)

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
        """True on a stop signal, or when the next update, at this run's mean speed so far,
        would end past the budget (the engine's rule: the budget is overrun by at most one
        update). Called between updates, so long epochs are cut too."""
        if self.budget > 0 and self._curves is not None:  # the budget counts from start_clock()
            now = self.t()
            t0, step0 = self._segment
            done = self.step - step0
            mean = (now - t0) / done if done > 0 else 0.0
            if now + mean > self.budget:
                self.budget_exhausted = True
                return True
        return bool(_SIGNALLED)

    def stopped_by_signal(self):
        return bool(_SIGNALLED)

    def _flush(self, force=False):
        now = time.monotonic()
        if self._curves is not None and (force or now - self._last_flush >= 0.5):  # the curves' growth is our heartbeat
            self._curves.flush()
            self._last_flush = now

    def _started(self):
        if self._curves is None:
            raise RuntimeError("hposync_trainer: call run.start_clock() before the first update (train_epochs does)")

    def update(self, loss):
        """Records update number self.step + 1; returns False if the loss is not finite."""
        self._started()
        self.step += 1
        if not math.isfinite(loss):
            self.diverged_step = self.step
            return False
        if self.job.record_updates:
            self._curves.write(f"update,{self.step},{self.t():.4f},loss,{loss:.6g}\n")
        self._flush()
        return True

    def epoch(self, train_loss, val_loss, val_error, complete=True):
        self._started()
        if complete:
            self.epochs_done += 1
        index = self.epochs_done if complete else self.epochs_done + 1
        t = f"{self.t():.6g}"
        for name, v in (("train_loss", train_loss), ("val_loss", val_loss), ("val_error", val_error)):
            self._curves.write(f"epoch,{index},{t},{name},{v:.6g}\n")
        self._flush(force=True)
        self.last_epoch = (train_loss, val_loss, val_error)

    def no_update_reason(self):
        if self.budget_exhausted or self.stopped_by_signal():
            return (f"budget below one update: the time budget ({self.budget:g} s of training) ended, or a stop "
                    "came, before the first parameter update completed")
        return "no parameter update: the training set gives no batch"

    def finish(self, status="ok", reason="", **metrics):
        """Writes metrics.txt (last, atomically) and closes the curves. An `ok` run that
        completed no update is failed: its numbers would describe an untrained model."""
        if self._curves is not None:
            self._flush(force=True)
            self._curves.close()
        if status == "ok" and self.step == 0:
            status, reason = "failed", self.no_update_reason()
        pairs = [("format", file_format("metrics")), ("status", status)]
        if reason:
            pairs.append(("reason", " ".join(str(reason).split())[:500]))
        metrics.setdefault("steps", self.step)
        metrics.setdefault("epochs_done", self.epochs_done)
        metrics.setdefault("train_seconds", self.t())
        metrics.setdefault("setup_seconds", self.setup_seconds if self.setup_seconds is not None
                           else time.monotonic() - _STARTED)
        metrics.setdefault("diverged_step", self.diverged_step)
        if self.last_epoch:
            metrics.setdefault("final_train_loss", self.last_epoch[0])
            metrics.setdefault("final_val_loss", self.last_epoch[1])
            metrics.setdefault("final_val_error", self.last_epoch[2])
        metrics.setdefault("budget_exhausted", self.budget_exhausted)
        known = schema("metrics")
        unknown = [k for k in metrics if k not in known]
        if unknown:  # the worker would refuse the file: say which key at once
            raise ValueError(f"hposync_trainer.finish: not metrics.txt keys: {', '.join(unknown)}")
        write_atomic(os.path.join(self.out, "metrics.txt"), kv.to_text(pairs + list(metrics.items())))


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
    if run.should_stop():  # a stop came while it was starting up (or a resumed run's budget is spent)
        return ("ok", "") if run.step > 0 else ("failed", run.no_update_reason())
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
            # A checkpoint serves a resume; none when the budget is as good as spent (the
            # stop is the budget's own SIGTERM, and writing it would only delay the exit).
            left = run.budget <= 0 or run.t() + 1.0 < run.budget
            if run.checkpoint and run.stopped_by_signal() and left:
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


# ---- checkpoints: data only, checked against the job ----------------------------------
CHECKPOINT_FORMAT = "hposync-trainer-checkpoint 1"
_META = "meta"      # uint8 array: JSON of the identity and the position's numbers
_ORDER = "order"    # int64 array: the current epoch's sample order (absent between epochs)


def checkpoint_identity(run, framework):
    """What a checkpoint must match to be resumed: the job (id, study_hash, trainer), what
    shapes its arrays (framework, model, optimizer, batch size) and the trainer's own
    parameters."""
    job = run.job
    return {"format": CHECKPOINT_FORMAT, "framework": framework, "job": job.id,
            "study_hash": job.study_hash, "trainer": job.trainer,
            "model": job.model, "optimizer": job.optimizer, "batch_size": job.batch_size, "params": job.params}


def save_checkpoint(run, framework, arrays, position):
    """Writes run.checkpoint atomically: an uncompressed .npz of `arrays` (name -> numpy
    array of numbers), the position ({epoch, batch, order, t, step}) and the identity."""
    meta = dict(checkpoint_identity(run, framework), epoch=int(position["epoch"]),
                batch=int(position["batch"]), step=int(position["step"]), t=float(position["t"]))
    out = {_META: np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    if position.get("order") is not None:
        out[_ORDER] = np.asarray(position["order"], dtype=np.int64)
    for name, a in arrays.items():
        if name in (_META, _ORDER):
            raise ValueError(f"checkpoint array name {name!r} is reserved")
        out[name] = np.asarray(a)
    buf = io.BytesIO()
    np.savez(buf, **out)
    write_atomic(run.checkpoint, buf.getvalue(), "wb")


def discard_checkpoint(run, why):
    """A checkpoint that cannot be resumed: the job starts over (the file is left where it
    is; the next checkpoint replaces it)."""
    print(f"hposync trainer: checkpoint {run.checkpoint}: {why}; starting the job over", file=sys.stderr, flush=True)
    return None


def _read_npz(f):
    """The arrays of an .npz that save_checkpoint could have written, else ValueError:
    every member a stored (uncompressed) .npy whose header declares numbers (no object
    array, nothing to unpickle) and no more bytes than the member holds, so that reading
    it allocates no more than the file's size (no decompression or allocation bomb)."""
    with zipfile.ZipFile(f) as z:
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise ValueError(f"member {info.filename!r} is not a stored .npy array")
            with z.open(info) as m:
                version = np.lib.format.read_magic(m)
                header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = header(m)
            if dtype.hasobject:
                raise ValueError(f"member {info.filename!r} is an object array")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise ValueError(f"member {info.filename!r} declares more data than it holds")
    f.seek(0)
    with np.load(f, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def load_checkpoint(run, framework, n):
    """The checkpoint of this job, or None (start over) when there is none or it is torn,
    foreign or unreadable; the reason goes to stderr. Returns (arrays, position) with
    position = {epoch, batch, order, t, step}. Nothing in the file is ever executed:
    only a regular file, only uncompressed members (no decompression bomb), numpy's
    reader with allow_pickle=False (an object array is refused), JSON for the rest.
    `n` is the training set's size (an order must be a permutation of range(n))."""
    path = run.checkpoint
    if not path:
        return None
    try:
        # One descriptor for every check and the read (nothing swapped in between); no
        # link followed; O_NONBLOCK so that a FIFO planted there cannot block the open.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as e:
        return discard_checkpoint(run, f"cannot open it ({e.strerror}; a link is never followed)")
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return discard_checkpoint(run, "not a regular file (a FIFO or folder is never read)")
        try:
            arrays = _read_npz(f)
            meta = json.loads(bytes(arrays.pop(_META)).decode("utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("its meta is not an object")
        except Exception as e:  # noqa: BLE001 - whatever is wrong with it, the job starts over
            return discard_checkpoint(run, f"unreadable ({type(e).__name__}: {e})")
    want = checkpoint_identity(run, framework)
    for key, value in want.items():
        if meta.get(key) != value:
            return discard_checkpoint(run, f"it belongs to another job or setting ({key} = {meta.get(key)!r}, "
                                 f"this job has {value!r})")
    try:
        position = {k: meta[k] for k in ("epoch", "batch", "step")}
        if not all(type(v) is int and v >= 0 for v in position.values()) or position["epoch"] < 1:
            raise ValueError("epoch, batch and step must be whole numbers (epoch >= 1)")
        position["t"] = float(meta["t"])
        if not (math.isfinite(position["t"]) and position["t"] >= 0):
            raise ValueError(f"t = {position['t']} is not a training time")
        order = arrays.pop(_ORDER, None)
        if order is not None and (order.dtype != np.int64 or order.shape != (n,)
                                  or not np.array_equal(np.sort(order), np.arange(n))):
            raise ValueError(f"its sample order is not a permutation of the {n} training samples")
        if position["batch"] > 0 and order is None:
            raise ValueError("a position inside an epoch needs the epoch's order")
        position["order"] = order if position["batch"] > 0 else None
    except (KeyError, TypeError, ValueError) as e:
        return discard_checkpoint(run, f"bad position ({type(e).__name__}: {e})")
    return arrays, position


def rng_arrays(rng, prefix="rng"):
    """A numpy RandomState's state as arrays (a checkpoint holds no pickled object)."""
    kind, keys, pos, has_gauss, cached = rng.get_state()
    return {f"{prefix}.keys": keys, f"{prefix}.rest": np.array([pos, has_gauss], dtype=np.int64),
            f"{prefix}.gauss": np.array(cached, dtype=np.float64)}


def set_rng(rng, arrays, prefix="rng"):
    rest = arrays[f"{prefix}.rest"]
    rng.set_state(("MT19937", arrays[f"{prefix}.keys"].astype(np.uint32), int(rest[0]), int(rest[1]),
                   float(arrays[f"{prefix}.gauss"])))


def expect_shape(arrays, name, shape, dtype=None):
    """arrays[name], checked: a checkpoint array of another shape or type is refused."""
    if name not in arrays:
        raise ValueError(f"the checkpoint has no array {name!r}")
    a = arrays[name]
    if tuple(a.shape) != tuple(shape) or (dtype is not None and a.dtype != dtype):
        raise ValueError(f"checkpoint array {name!r} is {a.dtype}{list(a.shape)}, the model needs "
                         f"{dtype or a.dtype}{list(shape)}")
    return a


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


def exit_now():
    """Ends the trainer at once, after main() wrote metrics.txt. Not a normal interpreter
    exit: that restores the default signal dispositions before the process is gone, and a
    budget SIGTERM landing in that window (the trainer stopped on its own clock just
    before the worker's deadline) would kill a run that had finished."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def fail(run, exc):
    """The job's own problem (bad data, unsupported key): a failed result, exit 0."""
    run.finish(status="failed", reason=f"{type(exc).__name__}: {exc}")

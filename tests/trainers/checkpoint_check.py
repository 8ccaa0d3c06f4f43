"""Checkpoint checks of one shipped Python trainer, run in one process (a few seconds):
tests/unit/trainer_python_test.cpp runs it with the project's Python and checks its
`key = value` lines.

    tools/py tests/trainers/checkpoint_check.py TRAINER DATA_DIR WORK_DIR [MODEL]

TRAINER is sklearn, torch or keras; MODEL the job's model spec (default mlp:16; the
Keras CNN is checked with cnn:conv4x3-bn-pool2-fc16: batch-norm running statistics are
in its checkpoint). Each scenario calls the trainer's main() with the
trainer contract's environment (HPOSYNC_JOB, _OUT, _DATA, _CHECKPOINT), as the worker
would start it, on the small generated data set in DATA_DIR:

  planted.<form>   a checkpoint whose unpickling would create a marker file (a raw
                   pickle, a torch.save zip, an .npz holding an object array): the marker
                   must stay absent and the job complete ok from scratch
  truncated        a genuine checkpoint cut in half: ok from scratch
  symlink, fifo, bomb   a link to a genuine checkpoint (never followed), a FIFO (never
                   blocks), an .npz declaring 8 TB (refused unread): ok from scratch
  foreign          a genuine checkpoint of another job: ok from scratch
  no_update        a stop before the first update: failed, "budget below one update"
  same_seed_same_losses  every run from scratch above gave the same update losses
  resume.<opt>     a run stopped after 5 updates (its checkpoint) and resumed, against an
                   uninterrupted run: the same losses after the stop, the same test loss
"""
import importlib
import io
import os
import pickle
import signal
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "trainers"))
import hposync_trainer as ht  # noqa: E402

np = ht.np


class Planted:
    """Unpickling this creates MARKER: proof that the file was executed."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


MODEL = "mlp:16"


def job_text(job_id, optimizer, epochs=2):
    return (f"format = hposync-job 1\nid = {job_id}\nstudy = ckpt\nstudy_hash = 0123456789abcdef\nround = 0\n"
            f"config = 0\nrepeat = 0\ntrainer = t\ndataset = mnist\ntrain_subset = 300\ntest_subset = 100\n"
            f"model = {MODEL}\noptimizer = {optimizer}\nlr = 0.01\nbatch_size = 27\nepochs = {epochs}\nseed = 3\n")


class Runner:
    def __init__(self, trainer, data, work):
        self.module = importlib.import_module(f"{trainer}_trainer")
        self.data, self.work, self.count = data, work, 0

    def run(self, checkpoint, optimizer="momentum", job_id="r000-c0000-s0", stop_after=0):
        """Runs main() once; returns (metrics dict, update losses, stderr text).
        stop_after > 0: a stop signal arrives after that many updates (the checkpoint)."""
        self.count += 1
        d = os.path.join(self.work, f"run{self.count}")
        os.makedirs(d)
        with open(os.path.join(d, "job.job"), "w") as f:
            f.write(job_text(job_id, optimizer))
        os.environ.update(HPOSYNC_JOB=os.path.join(d, "job.job"), HPOSYNC_OUT=os.path.join(d, "out"),
                          HPOSYNC_DATA=self.data, HPOSYNC_CHECKPOINT=checkpoint, HPOSYNC_THREADS="1",
                          HPOSYNC_TIME_BUDGET="0", HPOSYNC_SEED="3")
        sys.argv = [self.module.__file__]
        update = ht.Run.update

        def counting_update(run, loss):  # the stop request, after `stop_after` updates
            ok = update(run, loss)
            if stop_after and run.step == stop_after:
                ht._SIGNALLED.append(signal.SIGTERM)
            return ok

        ht.Run.update = counting_update
        err = io.StringIO()
        saved_err, sys.stderr = sys.stderr, err
        try:
            self.module.main()
        finally:
            sys.stderr = saved_err
            ht.Run.update = update
            ht._SIGNALLED.clear()
        metrics = dict(line.split(" = ", 1) for line in open(os.path.join(d, "out", "metrics.txt")).read().splitlines())
        losses = [line.split(",")[4] for line in open(os.path.join(d, "out", "curves.csv")) if line.startswith("update,")]
        return metrics, losses, err.getvalue()


def say(key, value):
    print(f"{key} = {value}", flush=True)


def plant(form, path, marker):
    evil = Planted(marker)
    if form == "pickle":
        data = pickle.dumps({"clf": evil, "model": evil})
    elif form == "npz-object":
        buf = io.BytesIO()
        np.savez(buf, meta=np.array([evil], dtype=object))  # savez pickles object arrays
        data = buf.getvalue()
    else:  # torch.save's format: a zip holding a pickle
        import torch
        buf = io.BytesIO()
        torch.save({"model": evil}, buf)
        data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)


def main():
    global MODEL
    trainer, data, work = sys.argv[1:4]
    if len(sys.argv) > 4:
        MODEL = sys.argv[4]
    signal.alarm(300)  # a checkpoint that blocks a trainer (a FIFO) fails the test, never hangs it
    # JAX compiles each new model's step afresh (~1 s); every run here has the same
    # shapes, so a compilation cache in the work folder makes the later runs cheap.
    os.environ.update(JAX_COMPILATION_CACHE_DIR=os.path.join(work, "jax-cache"),
                      JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
    r = Runner(trainer, data, work)
    ckpt = os.path.join(work, "job.ckpt")
    fresh = []  # the update losses of every run from scratch (same job, same seed)
    forms = ["pickle", "npz-object"] + (["torch-zip"] if trainer == "torch" else [])
    for form in forms:
        marker = os.path.join(work, f"executed-{form}")
        plant(form, ckpt, marker)
        m, losses, err = r.run(ckpt)
        fresh.append(losses)
        say(f"planted.{form}", f"{m['status']} resumed={m.get('resumed')} marker={'present' if os.path.exists(marker) else 'absent'} "
                               f"updates={len(losses)} logged={'starting the job over' in err}")
        os.remove(ckpt)

    # A genuine checkpoint: a run stopped after 5 updates leaves it.
    m, _, _ = r.run(ckpt, stop_after=5)
    with open(ckpt, "rb") as f:
        genuine = f.read()
    say("genuine", f"written={len(genuine) > 0} steps={m['steps']}")
    with open(ckpt, "wb") as f:
        f.write(genuine[:len(genuine) // 2])
    m, losses, err = r.run(ckpt)
    fresh.append(losses)
    say("truncated", f"{m['status']} resumed={m.get('resumed')} updates={len(losses)} logged={'starting the job over' in err}")
    # A link to a genuine checkpoint is never followed; a FIFO never blocks; an .npz whose
    # header declares 8 TB is refused before anything is allocated.
    os.remove(ckpt)
    elsewhere = os.path.join(work, "elsewhere.ckpt")
    with open(elsewhere, "wb") as f:
        f.write(genuine)
    os.symlink(elsewhere, ckpt)
    m, losses, err = r.run(ckpt)
    say("symlink", f"{m['status']} resumed={m.get('resumed')} logged={'starting the job over' in err}")
    os.remove(ckpt)
    os.mkfifo(ckpt)
    m, losses, err = r.run(ckpt)
    say("fifo", f"{m['status']} resumed={m.get('resumed')} logged={'starting the job over' in err}")
    os.remove(ckpt)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)})
    with zipfile.ZipFile(ckpt, "w", zipfile.ZIP_STORED) as z:
        z.writestr("meta.npy", header.getvalue() + bytes(8))
    m, losses, err = r.run(ckpt)
    say("bomb", f"{m['status']} resumed={m.get('resumed')} logged={'declares more data' in err}")
    with open(ckpt, "wb") as f:
        f.write(genuine)
    m, losses, err = r.run(ckpt, job_id="r000-c0001-s0")
    fresh.append(losses)
    say("foreign", f"{m['status']} resumed={m.get('resumed')} updates={len(losses)} logged={'another job' in err}")
    os.remove(ckpt)
    say("same_seed_same_losses", all(f == fresh[0] for f in fresh) and len(fresh[0]) > 0)

    # A stop (the worker's budget SIGTERM) before the first update: not ok.
    ht._SIGNALLED.append(signal.SIGTERM)
    m, losses, _ = r.run("")
    say("no_update", f"{m['status']} updates={len(losses)} why={m.get('reason', '').startswith('budget below one update')}")

    for optimizer in ("adam",) if trainer == "keras" else ("momentum", "adam"):  # keras: make test's time
        whole, whole_losses, _ = r.run("", optimizer)
        first, first_losses, _ = r.run(ckpt, optimizer, stop_after=5)
        second, second_losses, _ = r.run(ckpt, optimizer)
        os.remove(ckpt)
        same = first_losses + second_losses == whole_losses
        say(f"resume.{optimizer}", f"{second['status']} resumed={second.get('resumed')} stopped_at={len(first_losses)} "
                                   f"same_losses={same} same_test_loss={second['test_loss'] == whole['test_loss']} "
                                   f"updates={len(whole_losses)}")


if __name__ == "__main__":
    main()

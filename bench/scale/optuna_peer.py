#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/scale/optuna_peer.py ...
"""The peer of scale-bench throughput: Optuna's JournalFileBackend (the file-based
store Optuna's users put on NFS) doing the same no-op work with the same number of
processes on the same disk.

    tools/py bench/scale/optuna_peer.py --trials N --workers W --dir DIR

W processes (fork) share one journal file; each runs N/W trials of a no-op objective
with RandomSampler over the same one-dimensional space as hposync's study
(lr log-uniform in [0.001, 0.1]). The clock starts when every process has imported
Optuna, opened the storage and is waiting at a barrier (interpreter start-up is not
counted: that favours the peer), and stops when the last one finishes. With
--max-seconds each process stops after that long (Optuna's own `timeout`) and the rate
over that time is reported (partial=1): Optuna slows down as its journal grows (every
process replays it), so a partial rate from the start of a big study favours the peer. Prints one
`kind=optuna_throughput ...` line; the trial count is read back from the journal.
"""
import argparse
import multiprocessing as mp
import os
import queue
import shutil
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


def storage(path):
    # Optuna 4 renamed JournalFileStorage to journal.JournalFileBackend (the old name is gone
    # in 5); Optuna 3.1, the older row (environment .venv-optuna3), has only the old name.
    journal = getattr(optuna.storages, "journal", None)
    backend = getattr(journal, "JournalFileBackend", None) if journal else None
    if backend is None:
        backend = optuna.storages.JournalFileStorage
    return optuna.storages.JournalStorage(backend(path))


def objective(trial):
    trial.suggest_float("lr", 0.001, 0.1, log=True)
    return 0.5


def run(path, n, seed, max_seconds, barrier, out):
    # Optuna 3.1's JournalFileStorage can read a journal line another process is still
    # appending and die in json.loads (JSONDecodeError) or in an assertion after it; seen
    # here with 4 processes on an idle machine. A user would restart the worker, so we do:
    # reload the study and go on, counting each such crash. The time lost is part of the
    # peer's throughput, and the crash count is printed beside it.
    completed, crashes = [0], 0
    count = lambda study, trial: completed.__setitem__(0, completed[0] + 1)  # noqa: E731
    study = optuna.load_study(study_name="scale", storage=storage(path),
                              sampler=optuna.samplers.RandomSampler(seed=seed))
    barrier.wait()
    deadline = time.monotonic() + max_seconds if max_seconds else None
    while completed[0] < n:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        try:
            study.optimize(objective, n_trials=n - completed[0], timeout=left, callbacks=[count])
        except Exception:  # noqa: BLE001 - the torn-journal crash described above
            crashes += 1
            study = optuna.load_study(study_name="scale", storage=storage(path),
                                      sampler=optuna.samplers.RandomSampler(seed=seed + 1000 * crashes))
    out.put((time.monotonic(), crashes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop every process after this long and report the rate so far (partial=1)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="optuna-scale-", dir=a.dir)
    try:
        path = os.path.join(tmp, "journal.log")
        optuna.create_study(study_name="scale", storage=storage(path))
        ctx = mp.get_context("fork")
        barrier, out = ctx.Barrier(a.workers + 1), ctx.Queue()
        share = [a.trials // a.workers + (i < a.trials % a.workers) for i in range(a.workers)]
        procs = [ctx.Process(target=run, args=(path, share[i], 1000 + i, a.max_seconds, barrier, out)) for i in range(a.workers)]
        for p in procs:
            p.start()
        barrier.wait()
        t0 = time.monotonic()
        ends, crashes = [], 0
        for _ in procs:
            try:
                end, c = out.get(timeout=(a.max_seconds or 1800) + 600)
            except queue.Empty:
                sys.exit("optuna_peer: a worker process never finished")
            ends.append(end)
            crashes += c
        for p in procs:
            p.join()
        if any(p.exitcode != 0 for p in procs):
            sys.exit("optuna_peer: a worker process failed")
        seconds = max(ends) - t0
        trials = optuna.load_study(study_name="scale", storage=storage(path)).get_trials(deepcopy=False)
        done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
        print(f"kind=optuna_throughput trials={a.trials} workers={a.workers} completed={done} "
              f"seconds={seconds:.3f} trials_per_s={done / seconds:.1f} partial={int(done < a.trials)} "
              f"crashes={crashes} optuna={optuna.__version__}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Run with the project's environment: tools/py tests/stress/stress.py ...
"""Reliability scenarios with real hpo-master / hpo-worker processes (docs/RELIABILITY.md).

Every figure printed is counted from the study directory and the processes' logs after
the run; nothing is hard-coded. Each scenario ends with one summary line
"<scenario>: PASS|FAIL: <figures>"; the exit status is nonzero if any scenario failed.

  python3 tests/stress/stress.py [--quick] [--only NAME ...] [--bin DIR] [--keep]

Study directories live under /dev/shm (tmpfs: no disk fsync cost), except the disk-full
scenario, which mounts its own small tmpfs.
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers"))
import hposync_keyvalue as kv  # noqa: E402  the one key = value reader (the C++ reader's rules)

BIN = None
KEEP = False
ROOT = None  # scratch root of this run


# ---- processes ---------------------------------------------------------------------------

class Proc:
    """A master or worker process whose stdout+stderr go to a log file (appended, so a
    restarted worker of the same id keeps one log)."""

    def __init__(self, args, log, env=None):
        self.log = log
        self.f = open(log, "a")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.p = subprocess.Popen(args, stdout=self.f, stderr=subprocess.STDOUT, env=full_env)

    def alive(self):
        return self.p.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            self.p.send_signal(sig)

    def wait(self, timeout=None):
        try:
            return self.p.wait(timeout)
        finally:
            self.f.flush()


def worker(d, wid, log_dir, lease_s=0.6, env=None, extra=()):
    args = [f"{BIN}/hpo-worker", "--dir", d, "--id", wid, "--threads", "1", "--poll-ms", "100",
            "--lease-s", str(lease_s), *extra]
    return Proc(args, f"{log_dir}/{wid}.log", env)


def master(d, study, log, lease_timeout=3.0, extra=()):
    args = [f"{BIN}/hpo-master", "--dir", d, "--study", study, "--poll-ms", "100",
            "--lease-timeout", str(lease_timeout), *extra]
    return Proc(args, log)


def stop_all(procs):
    for p in procs:
        p.kill(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


# ---- study directories -------------------------------------------------------------------

def new_dir(name, base=None):
    d = tempfile.mkdtemp(prefix=f"{name}-", dir=base or ROOT)
    os.makedirs(f"{d}/logs")
    return d


def write_study(path, name, lines):
    with open(path, "w") as f:
        f.write("format = hposync-study 1\n")
        f.write(f"name = {name}\n")
        f.write("\n".join(lines) + "\n")
    return path


def ids_in(d, suffix):
    return {n[: -len(suffix)] for n in os.listdir(d) if n.endswith(suffix) and not n.startswith(".")} \
        if os.path.isdir(d) else set()


def round_jobs(d):
    ids = set()
    for path in glob.glob(f"{d}/rounds/r*.round"):
        for line in open(path):
            m = re.match(r"job\.\d+ = (\S+)", line)
            if m:
                ids.add(m.group(1))
    return ids


def worker_of(path):
    """The `worker` a result names; "" when it names none or does not parse (a torn file)."""
    try:
        return kv.read(path).get("worker", "")
    except kv.KeyValueError:
        return ""


def check_result(d, rid):
    """Reads results/<id>.result like a careful reader: complete file, curves CSV present
    with exactly curves_rows data rows. Returns (dict, problem or None)."""
    path = f"{d}/results/{rid}.result"
    text = open(path).read()
    if not text.endswith("\n"):
        return None, "result not newline-terminated"
    try:
        r = kv.parse_dict(text, path)
    except kv.KeyValueError as e:
        return None, f"does not parse: {e}"
    for key in ("format", "id", "status", "curves", "curves_rows"):
        if key not in r:
            return r, f"missing {key}"
    if r["id"] != rid:
        return r, "id differs from file name"
    csv_path = f"{d}/results/{r['curves']}"
    if not os.path.exists(csv_path):
        return r, "curves CSV missing"
    csv = open(csv_path).read()
    rows = csv.count("\n") - 1
    if not csv.endswith("\n") or rows != int(r["curves_rows"]):
        return r, f"curves CSV has {rows} rows, result says {r['curves_rows']}"
    return r, None


def attempts_total(d):
    total = 0
    for path in glob.glob(f"{d}/jobs/attempts/*.attempts"):
        total += int(kv.read(path).get("count", 0))
    return total


CLAIM_RE = re.compile(r"^hpo-worker (\S+): (\S+): (training \(|already has a result)")


def claims_from_logs(log_dir):
    """id -> list of workers that claimed it and acted on it (trained it, or found its
    result), from the workers' own progress lines."""
    claims = {}
    for log in glob.glob(f"{log_dir}/w*.log"):
        for line in open(log, errors="replace"):
            m = CLAIM_RE.match(line)
            if m:
                claims.setdefault(m.group(2), []).append(m.group(1))
    return claims


def complete_study_check(d, problems):
    """Every job of every round: exactly one valid result, job in done/, nothing pending,
    running, failed or quarantined. Returns the set of job ids."""
    ids = round_jobs(d)
    results = ids_in(f"{d}/results", ".result")
    done = ids_in(f"{d}/jobs/done", ".job")
    for state in ("pending", "failed", "quarantine"):
        left = ids_in(f"{d}/jobs/{state}", ".job")
        if left:
            problems.append(f"{len(left)} jobs in {state}/ (e.g. {sorted(left)[0]})")
    running = [n for n in os.listdir(f"{d}/jobs/running") if not n.startswith(".")]
    if running:
        problems.append(f"{len(running)} files left in running/")
    if results != ids:
        problems.append(f"results {len(results)} != jobs {len(ids)} (missing {len(ids - results)}, "
                        f"extra {len(results - ids)})")
    if done != ids:
        problems.append(f"done {len(done)} != jobs {len(ids)}")
    bad = 0
    for rid in results:
        _, problem = check_result(d, rid)
        if problem:
            bad += 1
            if bad == 1:
                problems.append(f"{rid}: {problem}")
    if bad:
        problems.append(f"{bad} unreadable results")
    return ids


def finish(d, name, problems, figures):
    """Prints the scenario's summary line; removes its directory unless it failed."""
    status = "FAIL" if problems else "PASS"
    print(f"{name}: {status}: {figures}" + (f" -- violations: {'; '.join(problems)}" if problems else ""),
          flush=True)
    if d:
        cleanup(d, problems)
    return not problems


# ---- scenarios ---------------------------------------------------------------------------

def claim_race(n_workers, n_jobs):
    """Many workers race for many no-op jobs: every job is run exactly once."""
    d = new_dir("claim-race")
    study = write_study(f"{d}/s.study", "claim-race", [
        "strategy = random", "seed = 11", f"samples = {n_jobs}", "model = synthetic:noop",
        "epochs = 1", "record_updates = false", "search.lr = loguniform(0.001, 0.1)"])
    sd = f"{d}/d"
    t0 = time.monotonic()
    m = master(sd, study, f"{d}/logs/master.log")
    workers = [worker(sd, f"w{i:02d}", f"{d}/logs") for i in range(n_workers)]
    rc = m.wait(timeout=max(1200, n_jobs / 40))  # 100,000 jobs: ~45 min at the slowest rate seen
    elapsed = time.monotonic() - t0
    stop_all(workers)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    ids = complete_study_check(sd, problems)
    claims = claims_from_logs(f"{d}/logs")
    twice = sorted(i for i, ws in claims.items() if len(ws) > 1)
    lost = len(ids - set(claims)) + len(ids - ids_in(f"{sd}/results", ".result"))
    if twice:
        problems.append(f"{len(twice)} jobs claimed twice (e.g. {twice[0]}: {claims[twice[0]]})")
    if lost:
        problems.append(f"{lost} jobs lost")
    # The worker named in each result must be the (only) worker that claimed it.
    mismatched = 0
    for rid in ids:
        r = kv.read(f"{sd}/results/{rid}.result")
        if claims.get(rid) != [r.get("worker")]:
            mismatched += 1
    if mismatched:
        problems.append(f"{mismatched} results name another worker than the claim logs")
    per_worker = sorted(sum(1 for ws in claims.values() for w in ws if w == f"w{i:02d}") for i in range(n_workers))
    return finish(d, "claim race", problems,
                  f"{n_workers} workers, {len(ids)} jobs: {len(ids_in(f'{sd}/results', '.result'))} results, "
                  f"{len(ids_in(f'{sd}/jobs/done', '.job'))} done, {sum(len(w) for w in claims.values())} claims, "
                  f"{len(twice)} run twice, {lost} lost; jobs per worker {per_worker[0]}..{per_worker[-1]}; "
                  f"{elapsed:.1f} s ({len(ids) / elapsed:.0f} jobs/s)")


def kill_storm(n_workers, n_jobs, n_kills):
    """Random SIGKILLs of workers during a study; each killed worker is restarted."""
    d = new_dir("kill-storm")
    study = write_study(f"{d}/s.study", "kill-storm", [
        "strategy = random", "seed = 12", f"samples = {n_jobs}", "model = synthetic:noop",
        "epochs = 2", "synthetic_sleep_s = 0.15", "max_attempts = 1000",
        "search.lr = loguniform(0.001, 0.1)"])
    sd = f"{d}/d"
    rng = random.Random(12)
    m = master(sd, study, f"{d}/logs/master.log", lease_timeout=1.0)
    workers = {f"w{i}": worker(sd, f"w{i}", f"{d}/logs", lease_s=0.3) for i in range(n_workers)}
    kills = 0
    kills_holding = 0
    t0 = time.monotonic()
    while kills < n_kills and m.alive():
        time.sleep(rng.uniform(0.05, 0.4))
        wid = rng.choice(sorted(workers))
        holding = any(n.endswith(f".job@{wid}") for n in os.listdir(f"{sd}/jobs/running"))
        workers[wid].kill()
        workers[wid].wait()
        kills += 1
        kills_holding += holding
        workers[wid] = worker(sd, wid, f"{d}/logs", lease_s=0.3)
    rc = m.wait(timeout=600)
    elapsed = time.monotonic() - t0
    stop_all(workers.values())
    problems = [] if rc == 0 else [f"master exit {rc}"]
    if kills < n_kills:
        problems.append(f"study ended after only {kills} of {n_kills} kills (make it longer)")
    ids = complete_study_check(sd, problems)
    claims = claims_from_logs(f"{d}/logs")
    runs = sum(len(w) for w in claims.values())
    requeues = attempts_total(sd)
    orphans = len([n for n in os.listdir(f"{sd}/results") if n.endswith(".curves.csv")]) - len(ids)
    return finish(d, "kill storm", problems,
                  f"{kills} SIGKILLs ({kills_holding} while holding a job), {len(ids)} jobs: "
                  f"{len(ids_in(f'{sd}/results', '.result'))} accepted results (exactly one each), "
                  f"{requeues} requeues, {runs} claims, {orphans} orphan curves CSVs; {elapsed:.1f} s")


def result_digest(d):
    """What must be identical between an interrupted and an uninterrupted run: per job,
    its settings (job.*), status and metrics; not who ran it or when."""
    out = {}
    for rid in ids_in(f"{d}/results", ".result"):
        r = kv.read(f"{d}/results/{rid}.result")
        out[rid] = tuple(sorted((k, v) for k, v in r.items()
                                if k.startswith("job.") or k in ("status", "final_val_error", "final_val_loss",
                                                                 "final_train_loss", "epochs_done")))
    return out


def best_line(log):
    lines = [l for l in open(log) if " done; best " in l]
    return lines[-1].split(": ", 1)[1].strip() if lines else None


def master_kill(n_kills, samples):
    """SIGKILL the master at random points of a successive-halving study and restart it:
    the results must be those of an uninterrupted run with the same seed."""
    d = new_dir("master-kill")
    study = write_study(f"{d}/s.study", "master-kill", [
        "strategy = successive-halving", "seed = 13", f"samples = {samples}", "eta = 3",
        "min_budget = 1", "max_budget = 9", "model = synthetic:noisy", "synthetic_sleep_s = 0.3",
        "search.lr = loguniform(0.001, 0.3)", "search.momentum = uniform(0, 1)",
        "search.batch_size = log2int(4, 8)"])
    problems = []
    # Reference: uninterrupted.
    ref = f"{d}/ref"
    ws = [worker(ref, f"w{i}", f"{d}/logs") for i in range(2)]
    t_start = time.time()
    rc = master(ref, study, f"{d}/logs/ref-master.log").wait(timeout=600)
    t_ref = time.time() - t_start
    stop_all(ws)
    if rc != 0:
        problems.append(f"reference master exit {rc}")
    # Interrupted: killed n_kills times at random moments, restarted each time.
    run = f"{d}/run"
    rng = random.Random(13)
    ws = [worker(run, f"k{i}", f"{d}/logs") for i in range(2)]
    kills, rounds_at_kill = 0, []
    m = master(run, study, f"{d}/logs/run-master.log")
    # Kills spread over every round, not all in round 0 (which takes most of the time):
    # kill i waits until round ~i*rounds/n is published, then a random moment more.
    n_rounds = len(glob.glob(f"{ref}/rounds/*.round"))
    while kills < n_kills:
        target = min(n_rounds, 1 + kills * n_rounds // n_kills)
        deadline = time.time() + t_ref + 30
        while (m.alive() and time.time() < deadline and
               len(glob.glob(f"{run}/rounds/*.round")) < target):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))
        if not m.alive():
            break
        m.kill()
        m.wait()
        kills += 1
        rounds_at_kill.append(len(glob.glob(f"{run}/rounds/*.round")))
        m = master(run, study, f"{d}/logs/run-master.log")
    rc = m.wait(timeout=600)
    stop_all(ws)
    if rc != 0:
        problems.append(f"restarted master exit {rc}")
    if kills < n_kills:
        problems.append(f"study ended after only {kills} of {n_kills} kills")
    a, b = result_digest(ref), result_digest(run)
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    if differ:
        problems.append(f"{len(differ)} results differ from the uninterrupted run (e.g. {differ[0]})")
    best_ref, best_run = best_line(f"{d}/logs/ref-master.log"), best_line(f"{d}/logs/run-master.log")
    if not best_ref or best_ref != best_run:
        problems.append(f"best differs: '{best_ref}' vs '{best_run}'")
    ids = complete_study_check(run, problems)
    twice = sorted(i for i, w in claims_from_logs(f"{d}/logs").items() if len(w) > 1 and i in ids and
                   all(x.startswith("k") for x in w))
    return finish(d, "master kill", problems,
                  f"{kills} SIGKILLs of the master (rounds published at each kill: {rounds_at_kill}), "
                  f"{len(ids)} jobs in {len(glob.glob(f'{run}/rounds/*.round'))} rounds: "
                  f"{len(a) - len(differ)}/{len(a)} results identical to the uninterrupted run, "
                  f"{len(twice)} jobs run twice; {best_run}")


def cut_mid_line(text, rng):
    """A prefix of text that ends inside a line (what a crash mid-write leaves)."""
    while True:
        n = rng.randrange(1, len(text) - 1)
        if text[n - 1] != "\n":
            return text[:n]


def torn_writes(n_jobs, n_each):
    """Files cut short by a tool that does not write atomically: half job files in
    pending/, truncated results, results whose curves CSV is truncated. Each must be
    detected, moved to quarantine with a reason, and the job run again."""
    d = new_dir("torn")
    study = write_study(f"{d}/s.study", "torn", [
        "strategy = random", "seed = 14", f"samples = {n_jobs}", "model = synthetic:quadratic",
        "epochs = 2", "search.lr = loguniform(0.001, 0.1)"])
    sd = f"{d}/d"
    rng = random.Random(14)
    m = master(sd, study, f"{d}/logs/master.log")
    wait_for(lambda: os.path.exists(f"{sd}/rounds/r000.round"), 30, "round 0")
    ids = sorted(round_jobs(sd))
    picked = rng.sample(ids, 3 * n_each)
    torn_jobs, torn_results, torn_csvs = picked[:n_each], picked[n_each:2 * n_each], picked[2 * n_each:]
    for rid in torn_jobs:  # in place, like a crashed non-atomic writer
        path = f"{sd}/jobs/pending/{rid}.job"
        text = open(path).read()
        open(path, "w").write(cut_mid_line(text, rng))
    template = None
    for rid in torn_results + torn_csvs:
        # A plausible result by "another tool" for a job nobody ran yet.
        text = (f"format = hposync-result 1\nid = {rid}\nstudy = torn\nround = 0\nconfig = c0000\nrepeat = 0\n"
                f"status = ok\nreason =\nfinal_val_error = 0.0001\ncurves = {rid}.x.curves.csv\ncurves_rows = 4\n"
                f"job.model = synthetic:quadratic\n")
        csv = "kind,index,t,metric,value\n" + "".join(f"update,{i},0.1,loss,1\n" for i in range(1, 5))
        if rid in torn_csvs:
            csv = cut_mid_line(csv, rng)
        elif torn_results.index(rid) % 2 == 0:
            text = text[:-5]  # cut inside the last line: every key is there, one value is short
        else:
            text = cut_mid_line(text, rng)
        open(f"{sd}/results/{rid}.x.curves.csv", "w").write(csv)
        open(f"{sd}/results/{rid}.result", "w").write(text)
    workers = [worker(sd, f"w{i}", f"{d}/logs") for i in range(2)]
    rc = m.wait(timeout=300)
    stop_all(workers)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    complete_study_check(sd, problems)
    q = f"{sd}/jobs/quarantine"
    qj, qr = ids_in(q, ".torn-job"), ids_in(q, ".torn-result")
    reasons = sum(os.path.getsize(f"{q}/{n}") > 0 for n in os.listdir(q) if n.endswith(".reason"))
    if qj != set(torn_jobs):
        problems.append(f"torn jobs quarantined {len(qj)} of {len(torn_jobs)}")
    if qr != set(torn_results + torn_csvs):
        problems.append(f"torn results quarantined {len(qr)} of {len(torn_results) + len(torn_csvs)}")
    if reasons != len(qj) + len(qr):
        problems.append(f"{reasons} non-empty .reason files for {len(qj) + len(qr)} quarantined files")
    # The injected results claimed val_error 0.0001; the accepted ones must come from our workers.
    foreign = [rid for rid in torn_results + torn_csvs
               if worker_of(f"{sd}/results/{rid}.result") == ""]
    if foreign:
        problems.append(f"{len(foreign)} torn results were accepted")
    rerun = set(claims_from_logs(f"{d}/logs"))
    not_rerun = [rid for rid in picked if rid not in rerun]
    if not_rerun:
        problems.append(f"{len(not_rerun)} damaged jobs not rerun")
    return finish(d, "torn writes", problems,
                  f"{len(torn_jobs)} half job files, {len(torn_results)} truncated results, "
                  f"{len(torn_csvs)} truncated curves CSVs injected: {len(qj)} + {len(qr)} quarantined with "
                  f"{reasons} reasons, {len(picked) - len(not_rerun)}/{len(picked)} rerun, "
                  f"{len(ids_in(f'{sd}/results', '.result'))}/{n_jobs} jobs with one valid result")


def disk_full(n_jobs):
    """The study directory's filesystem fills up; then space returns."""
    mnt = tempfile.mkdtemp(prefix="diskfull-", dir=ROOT)
    how = "tmpfs 4 MiB"
    if subprocess.call(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt],
                       stderr=subprocess.DEVNULL) != 0:
        return finish(None, "disk full", ["cannot mount a tmpfs (not root?); no ENOSPC injection available"], "skipped")
    problems = []
    try:
        d = new_dir("disk-full")  # logs and study file outside the small filesystem
        study = write_study(f"{d}/s.study", "disk-full", [
            "strategy = random", "seed = 15", f"samples = {n_jobs}", "model = synthetic:noop",
            "epochs = 150", "record_updates = true", "synthetic_sleep_s = 0.05",
            "search.lr = loguniform(0.001, 0.1)"])
        sd = f"{mnt}/d"
        # 1. A master that starts on a full disk says so and exits (no crash, no loop).
        filler = f"{mnt}/filler"
        subprocess.call(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], stderr=subprocess.DEVNULL)
        os.makedirs(sd)
        rc_full = master(sd, study, f"{d}/logs/master-full.log").wait(timeout=30)
        first = open(f"{d}/logs/master-full.log").read()
        if rc_full != 1 or "No space left on device" not in first or sd not in first:
            problems.append(f"master on a full disk: exit {rc_full}, message '{first.strip()[:200]}'")
        os.unlink(filler)
        # 2. Run; fill the disk while results are being written.
        m = master(sd, study, f"{d}/logs/master.log")
        ws = [worker(sd, f"w{i}", f"{d}/logs") for i in range(2)]
        wait_for(lambda: len(ids_in(f"{sd}/results", ".result")) >= 3, 60, "first results")
        subprocess.call(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], stderr=subprocess.DEVNULL)
        before = {rid: open(f"{sd}/results/{rid}.result").read() for rid in ids_in(f"{sd}/results", ".result")}
        wait_for(lambda: any("No space left on device" in open(w.log, errors="replace").read() for w in ws),
                 60, "a worker to report ENOSPC")
        time.sleep(3)  # full for a while: workers must wait, not die or spin
        alive = sum(w.alive() for w in ws) + m.alive()
        if alive != 3:
            problems.append(f"only {alive} of 3 processes survived the full disk")
        logs = "".join(open(w.log, errors="replace").read() for w in ws)
        enospc = [l for l in logs.splitlines() if "No space left on device" in l]
        named = sum(sd in l for l in enospc)
        if named != len(enospc):
            problems.append(f"{len(enospc) - named} ENOSPC messages do not name a path in the study directory")
        handed_back = sum("job handed back" in l for l in enospc)  # "machine fault: ...; job handed back (no attempt counted)"
        if not handed_back:
            problems.append("no worker handed a job back after ENOSPC")
        results_while_full = len(ids_in(f"{sd}/results", ".result"))
        os.unlink(filler)  # space returns
        rc = m.wait(timeout=300)
        stop_all(ws)
        if rc != 0:
            problems.append(f"master exit {rc}")
        complete_study_check(sd, problems)
        changed = [rid for rid, text in before.items() if open(f"{sd}/results/{rid}.result").read() != text]
        if changed:
            problems.append(f"{len(changed)} earlier results changed")
        example = next((l.strip()[:220] for l in enospc if "handed back" in l), "-")
        figures = (f"{how}: master started on the full disk: exit {rc_full}, \"{first.strip()[:150]}\"; "
                   f"{len(enospc)} worker ENOSPC reports ({named} naming the path, {handed_back} jobs handed back), {alive}/3 processes alive "
                   f"while full, {len(before)} earlier results intact, {results_while_full} results when full -> "
                   f"{len(ids_in(f'{sd}/results', '.result'))}/{n_jobs} after space returned, "
                   f"example: {example}")
        cleanup(d, problems)
    finally:
        subprocess.call(["umount", mnt])
        os.rmdir(mnt)
    return finish(None, "disk full", problems, figures)


def clock_skew(n_jobs):
    """Workers whose wall clocks are 10 minutes off keep their live leases."""
    d = new_dir("clock-skew")
    study = write_study(f"{d}/s.study", "clock-skew", [
        "strategy = random", "seed = 16", f"samples = {n_jobs}", "model = synthetic:noop",
        "epochs = 1", "synthetic_sleep_s = 2.5", "max_attempts = 1", "search.lr = loguniform(0.001, 0.1)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log", lease_timeout=1.5)
    ws = [worker(sd, "w-behind", f"{d}/logs", lease_s=0.6, env={"HPOSYNC_TEST_WALLCLOCK_OFFSET_S": "-600"}),
          worker(sd, "w-ahead", f"{d}/logs", lease_s=0.6, env={"HPOSYNC_TEST_WALLCLOCK_OFFSET_S": "600"})]
    offsets = {}
    while m.alive():
        for name in os.listdir(f"{sd}/jobs/running") if os.path.isdir(f"{sd}/jobs/running") else []:
            if ".lease@" in name and not name.startswith("."):
                try:
                    wc = float(kv.read(f"{sd}/jobs/running/{name}")["wallclock"])
                    offsets[name.split("@")[1]] = round(wc - time.time())
                except (OSError, KeyError, ValueError):
                    pass
        time.sleep(0.2)
    rc = m.wait()
    stop_all(ws)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    complete_study_check(sd, problems)
    requeues = attempts_total(sd)
    if requeues:
        problems.append(f"{requeues} live leases were taken away")
    if abs(offsets.get("w-behind", 0) + 600) > 5 or abs(offsets.get("w-ahead", 0) - 600) > 5:
        problems.append(f"the clock offset did not show in the leases: {offsets}")
    return finish(d, "clock skew", problems,
                  f"lease wallclock minus real time: {offsets}; {n_jobs} jobs of 2.5 s with a 1.5 s lease "
                  f"timeout: {requeues} requeues, "
                  f"{len(ids_in(f'{sd}/results', '.result'))} results, {len(ids_in(f'{sd}/jobs/failed', '.job'))} failed")


# ---- faults: frozen processes, vanished files, poison jobs, hostile files (issue 15) -------

def guard_outside(d):
    """A directory outside the study with a secret and files that symlinks in the study will
    point at: nothing may read (copy) or write them. Returns a checker -> problems list."""
    out = f"{d}/outside"
    os.makedirs(out, exist_ok=True)
    secret = "SECRET-" + "".join(random.choice("abcdef0123456789") for _ in range(16))
    with open(f"{out}/secret.txt", "w") as f:
        f.write(f"password = {secret}\n")
    for name in ("target.job", "target.result", "target.ckpt"):
        with open(f"{out}/{name}", "w") as f:
            f.write(f"# {secret}\n")
    before = {n: (os.stat(f"{out}/{n}").st_mtime_ns, open(f"{out}/{n}").read()) for n in os.listdir(out)}

    def check(study_dir):
        touched = sorted(n for n in os.listdir(out)
                         if n not in before or (os.stat(f"{out}/{n}").st_mtime_ns, open(f"{out}/{n}").read()) != before[n])
        leaked = []
        for root, _, files in os.walk(study_dir):
            for n in files:
                p = os.path.join(root, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    if secret in open(p, errors="replace").read():
                        leaked.append(os.path.relpath(p, study_dir))
                except OSError:
                    pass
        for log in glob.glob(f"{d}/logs/*.log"):
            if secret in open(log, errors="replace").read():
                leaked.append(os.path.basename(log))
        return touched, leaked, out
    return check


def best_valid(d, objective="final_val_error"):
    """The best (lowest) objective among the valid ok results in results/, from the files."""
    best = None
    for rid in ids_in(f"{d}/results", ".result"):
        try:
            r, problem = check_result(d, rid)
        except OSError:
            continue
        if problem or r.get("status") != "ok":
            continue
        v = float(r[objective])
        if best is None or v < best[1] or (v == best[1] and rid < best[0]):
            best = (rid, v)
    return best


def reported_best(log):
    line = best_line(log)
    m = re.search(r"best (\S+) \S+ = (\S+)", line or "")
    return (m.group(1), float(m.group(2))) if m else None


def fault_figures(jobs, results, wrong, hangs, lost, outside):
    return (f"jobs {jobs}, results {results}, wrong answers {wrong}, hangs {hangs}, workers lost {lost}, "
            f"files touched outside the study directory {outside}")


def wait_master(m, timeout):
    """The master's exit status, or 'hang' (then it is killed) if it runs past timeout."""
    try:
        return m.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        m.kill()
        m.wait()
        return "hang"


def rerun_master(sd, study, log, timeout=120, extra=()):
    """Runs a master to its end on a directory; returns its exit status or 'hang'."""
    return wait_master(master(sd, study, log, extra=extra), timeout)


def job_with(sd, key, value):
    """The id of the published job whose file has `key = value` (any state directory)."""
    for path in glob.glob(f"{sd}/jobs/*/*.job*"):
        try:
            job = kv.read(path)
        except (OSError, kv.KeyValueError):  # gone meanwhile, or a torn job in quarantine/
            continue
        if job.get(key) == value:
            return job["id"]
    return None


def late_result(sleep_s):
    """A worker SIGSTOPped until its lease expires (max_attempts 1: the job goes to failed/)
    resumes and writes a valid, better result. It must count: the master adopts it while it
    runs, a restarted master finishes, and the best reported equals the best in results/."""
    d = new_dir("late-result")
    check_outside = guard_outside(d)
    study = write_study(f"{d}/s.study", "late-result", [
        "strategy = successive-halving", "seed = 21", "samples = 3", "eta = 3", "min_budget = 1", "max_budget = 3",
        "model = synthetic:quadratic", f"synthetic_sleep_s = {sleep_s}", "max_attempts = 1",
        "search.lr = loguniform(0.001, 0.3)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log", lease_timeout=1.5)
    ws = [worker(sd, f"w{i}", f"{d}/logs", lease_s=0.3) for i in range(2)]
    problems, frozen = [], None
    wait_for(lambda: os.path.isdir(f"{sd}/jobs/running") and any(".job@" in n for n in os.listdir(f"{sd}/jobs/running")),
             60, "a claim")
    name = next(n for n in os.listdir(f"{sd}/jobs/running") if ".job@" in n)
    jid, wid = name.split(".job@")
    frozen = ws[int(wid[1:])]
    frozen.kill(signal.SIGSTOP)
    wait_for(lambda: os.path.exists(f"{sd}/jobs/failed/{jid}.job"), 60, f"{jid} in failed/")
    frozen.kill(signal.SIGCONT)
    wait_for(lambda: os.path.exists(f"{sd}/results/{jid}.result"), 60, f"the late result of {jid}")
    rc = wait_master(m, 120)
    rc2 = rerun_master(sd, study, f"{d}/logs/master2.log")
    stop_all(ws)
    lost = sum(1 for w in ws if w.p.returncode not in (0, None, -signal.SIGTERM))
    hangs = (rc == "hang") + (rc2 == "hang")
    for what, code in (("master", rc), ("restarted master", rc2)):
        if code != 0:
            problems.append(f"{what} exit {code}")
    best = best_valid(sd)
    wrong = 0
    for log in ("master.log", "master2.log"):
        if reported_best(f"{d}/logs/{log}") != best:
            wrong += 1
            problems.append(f"{log} reports {reported_best(f'{d}/logs/{log}')}, results/ says {best}")
    adopted = "moves from failed/ to done/" in open(f"{d}/logs/master.log").read() + open(f"{d}/logs/master2.log").read()
    if not adopted:
        problems.append(f"the late result of {jid} was not adopted")
    touched, leaked, _ = check_outside(sd)
    if touched or leaked:
        problems.append(f"outside touched {touched}, secret in {leaked}")
    ids = round_jobs(sd)
    return finish(d, "late result", problems,
                  f"{jid} frozen past its lease, failed, then resumed; adopted {adopted}; best {best}; " +
                  fault_figures(len(ids), len(ids_in(f"{sd}/results", ".result")), wrong, hangs, lost,
                                len(touched) + len(leaked)))


def frozen(n_jobs, who):
    """SIGSTOP the master (who = 'master') or everything (who = 'all') for longer than the
    lease timeout, resume the master first: no live job may be sent to failed/."""
    d = new_dir(f"frozen-{who}")
    study = write_study(f"{d}/s.study", f"frozen-{who}", [
        "strategy = random", "seed = 22", f"samples = {n_jobs}", "model = synthetic:quadratic",
        "epochs = 2", "synthetic_sleep_s = 3", "max_attempts = 1", "search.lr = loguniform(0.001, 0.3)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log", lease_timeout=2.0)
    ws = [worker(sd, f"w{i}", f"{d}/logs", lease_s=0.6) for i in range(2)]
    wait_for(lambda: os.path.isdir(f"{sd}/jobs/running") and
             sum(".job@" in n for n in os.listdir(f"{sd}/jobs/running")) == 2, 60, "two running jobs")
    stopped = [m] + (ws if who == "all" else [])
    for p in stopped:
        p.kill(signal.SIGSTOP)
    time.sleep(5)  # 2.5 x the lease timeout
    m.kill(signal.SIGCONT)
    time.sleep(1.0)  # the master looks at the unchanged leases before the workers resume
    for p in stopped[1:]:
        p.kill(signal.SIGCONT)
    rc = wait_master(m, 120)
    stop_all(ws)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    failed = ids_in(f"{sd}/jobs/failed", ".job")
    if failed:
        problems.append(f"{len(failed)} live jobs sent to failed/ (e.g. {sorted(failed)[0]})")
    complete_study_check(sd, problems)
    best = best_valid(sd)
    wrong = int(reported_best(f"{d}/logs/master.log") != best)
    if wrong:
        problems.append(f"master reports {reported_best(f'{d}/logs/master.log')}, results/ says {best}")
    paused = "did not run for" in open(f"{d}/logs/master.log").read()
    if not paused:
        problems.append("the master did not notice its own pause")
    ids = round_jobs(sd)
    return finish(d, f"frozen {who}", problems,
                  f"stopped {len(stopped)} processes 5 s (lease timeout 2 s), master resumed 1 s first; pause noticed "
                  f"{paused}; {len(failed)} failed; " +
                  fault_figures(len(ids), len(ids_in(f"{sd}/results", ".result")), wrong, int(rc == "hang"), 0, 0))


def vanished(n_jobs):
    """A pending job file deleted, then the whole jobs/ directory removed, after the round
    manifest exists: the master republishes (naming them) and finishes, also after a restart."""
    d = new_dir("vanished")
    study = write_study(f"{d}/s.study", "vanished", [
        "strategy = random", "seed = 23", f"samples = {n_jobs}", "model = synthetic:quadratic",
        "epochs = 1", "synthetic_sleep_s = 0.5", "search.lr = loguniform(0.001, 0.3)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log")
    wait_for(lambda: os.path.exists(f"{sd}/rounds/r000.round"), 60, "the manifest")
    victim = sorted(ids_in(f"{sd}/jobs/pending", ".job"))[0]
    os.unlink(f"{sd}/jobs/pending/{victim}.job")
    wait_for(lambda: os.path.exists(f"{sd}/jobs/pending/{victim}.job"), 30, f"{victim} republished")
    w = worker(sd, "w0", f"{d}/logs")
    wait_for(lambda: len(ids_in(f"{sd}/results", ".result")) >= 2, 60, "two results")
    shutil.rmtree(f"{sd}/jobs", ignore_errors=True)
    rc = wait_master(m, 120)
    rc2 = rerun_master(sd, study, f"{d}/logs/master2.log")
    stop_all([w])
    problems = []
    for what, code in (("master", rc), ("restarted master", rc2)):
        if code != 0:
            problems.append(f"{what} exit {code}")
    log = open(f"{d}/logs/master.log").read()
    named = log.count("exists nowhere")
    if victim not in log or named < 2:
        problems.append(f"republishing not reported by name ({named} warnings)")
    ids = round_jobs(sd)
    if ids_in(f"{sd}/results", ".result") != ids:
        problems.append("not every job has a result")
    best = best_valid(sd)
    wrong = int(reported_best(f"{d}/logs/master2.log") != best)
    return finish(d, "vanished files", problems,
                  f"deleted {victim}.job, then jobs/; {named} 'exists nowhere' warnings; " +
                  fault_figures(len(ids), len(ids_in(f"{sd}/results", ".result")), wrong,
                                (rc == "hang") + (rc2 == "hang"), int(w.p.returncode not in (0, None)), 0))


def poison(n_jobs):
    """One job throws (std::logic_error: a fault of the job, not of the machine) in every worker, one hangs without progress: each is
    counted as an attempt and ends in failed/ after max_attempts; no worker dies."""
    d = new_dir("poison")
    study = write_study(f"{d}/s.study", "poison", [
        "strategy = random", "seed = 24", f"samples = {n_jobs}", "model = synthetic:quadratic",
        "epochs = 1", "synthetic_sleep_s = 0.3", "max_attempts = 2", "search.lr = loguniform(0.001, 0.3)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log", lease_timeout=1.5)
    wait_for(lambda: os.path.exists(f"{sd}/rounds/r000.round"), 60, "the manifest")
    ids = sorted(round_jobs(sd))
    thrower, hanger = ids[0], ids[1]
    # w-hang alone first, until its trainer hangs on `hanger`; then the others.
    ws = [worker(sd, "w-hang", f"{d}/logs", lease_s=0.3,
                 env={"HPOSYNC_TEST_FAULT": f"{thrower}:throw,{hanger}:hang"}, extra=("--stall-s", "1"))]
    wait_for(lambda: "training made no progress" in open(f"{d}/logs/w-hang.log").read(), 60, "the hang")
    ws += [worker(sd, f"w{i}", f"{d}/logs", lease_s=0.3, env={"HPOSYNC_TEST_FAULT": f"{thrower}:throw"},
                  extra=("--stall-s", "1")) for i in range(2)]
    rc = wait_master(m, 120)
    alive = sum(w.alive() for w in ws)
    stop_all(ws)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    failed = ids_in(f"{sd}/jobs/failed", ".job")
    if thrower not in failed or os.path.exists(f"{sd}/results/{thrower}.result"):
        problems.append(f"{thrower} (throws in every worker) not in failed/")
    lost = len(ws) - alive
    if lost:
        problems.append(f"{lost} workers died")
    hang_attempts = 0
    if os.path.exists(f"{sd}/jobs/attempts/{hanger}.attempts"):
        hang_attempts = int(kv.read(f"{sd}/jobs/attempts/{hanger}.attempts").get("count", 0))
    hung_claims = "training made no progress" in open(f"{d}/logs/w-hang.log").read()
    if hung_claims and hang_attempts < 1:
        problems.append(f"the hung trainer's job {hanger} was never requeued")
    others = set(ids) - {thrower, hanger}
    missing = others - ids_in(f"{sd}/results", ".result")
    if missing:
        problems.append(f"{len(missing)} healthy jobs without result")
    return finish(d, "poison job", problems,
                  f"{thrower} throws in every worker, {hanger} hangs in w-hang (hung there: {hung_claims}, "
                  f"attempts {hang_attempts}); failed/: {sorted(failed)}; " +
                  fault_figures(len(ids), len(ids_in(f"{sd}/results", ".result")), 0, int(rc == "hang"), lost, 0))


def hostile_files(n_jobs):
    """Non-regular files of every kind in every directory, symlinks to files outside the
    study: every reader refuses them without blocking, nothing outside is read or written."""
    d = new_dir("hostile")
    check_outside = guard_outside(d)
    out = f"{d}/outside"
    study = write_study(f"{d}/s.study", "hostile", [
        "strategy = random", "seed = 25", f"samples = {n_jobs}", "model = synthetic:quadratic",
        "epochs = 1", "synthetic_sleep_s = 0.3", "search.lr = loguniform(0.001, 0.3)"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log")
    wait_for(lambda: os.path.exists(f"{sd}/rounds/r000.round"), 60, "the manifest")
    ids = sorted(round_jobs(sd))
    planted = []

    def plant(path, kind, target=None):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path) if not os.path.isdir(path) or os.path.islink(path) else shutil.rmtree(path)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dir":
            os.mkdir(path)
        elif kind == "symlink":
            os.symlink(target, path)
        elif kind == "socket":
            import socket
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            s.close()
        planted.append(f"{os.path.relpath(path, sd)} ({kind})")

    # Jobs that are not jobs: a FIFO, a directory, a symlink to a secret, a device link.
    plant(f"{sd}/jobs/pending/r000-x9001-s0.job", "fifo")
    plant(f"{sd}/jobs/pending/r000-x9002-s0.job", "dir")
    plant(f"{sd}/jobs/pending/r000-x9003-s0.job", "symlink", f"{out}/secret.txt")
    plant(f"{sd}/jobs/pending/r000-x9004-s0.job", "symlink", "/dev/zero")
    plant(f"{sd}/jobs/pending/r000-x9005-s0.job", "socket")
    # The study's own first job replaced by a FIFO: it must be rewritten, not lost.
    plant(f"{sd}/jobs/pending/{ids[0]}.job", "fifo")
    # Side files of real jobs: attempts, checkpoint, result, lease-like and worker files.
    plant(f"{sd}/jobs/attempts/{ids[1]}.attempts", "fifo")
    plant(f"{sd}/checkpoints/{ids[2]}.ckpt", "symlink", "/dev/zero")
    plant(f"{sd}/checkpoints/{ids[3]}.ckpt", "symlink", f"{out}/target.ckpt")
    plant(f"{sd}/results/{ids[4]}.result", "symlink", f"{out}/secret.txt")
    plant(f"{sd}/results/{ids[5]}.result", "fifo")
    plant(f"{sd}/jobs/running/r000-x9006-s0.lease@ghost", "fifo")
    plant(f"{sd}/jobs/done/r000-x9007-s0.job", "symlink", f"{out}/target.job")
    plant(f"{sd}/jobs/failed/r000-x9008-s0.job", "fifo")
    plant(f"{sd}/jobs/quarantine/r000-x9009-s0.job", "fifo")
    plant(f"{sd}/workers/ghost.worker", "fifo")
    plant(f"{sd}/rounds/r099.round", "fifo")
    ws = [worker(sd, f"w{i}", f"{d}/logs") for i in range(2)]
    rc = wait_master(m, 120)
    st = subprocess.run([f"{BIN}/hpo-master", "status", "--dir", sd], capture_output=True, text=True, timeout=30)
    alive = sum(w.alive() for w in ws)
    stop_all(ws)
    problems = [] if rc == 0 else [f"master exit {rc}"]
    if st.returncode != 0:
        problems.append(f"hpo-master status exit {st.returncode}")
    missing = set(ids) - ids_in(f"{sd}/results", ".result")
    if missing:
        problems.append(f"{len(missing)} jobs without a valid result (e.g. {sorted(missing)[0]})")
    bad = [rid for rid in set(ids) & ids_in(f"{sd}/results", ".result")
           if os.path.islink(f"{sd}/results/{rid}.result") or check_result(sd, rid)[1]]
    if bad:
        problems.append(f"{len(bad)} results are not valid files")
    touched, leaked, _ = check_outside(sd)
    if touched or leaked:
        problems.append(f"outside touched {touched}, secret in {leaked}")
    lost = len(ws) - alive
    if lost:
        problems.append(f"{lost} workers died")
    best = best_valid(sd)
    wrong = int(reported_best(f"{d}/logs/master.log") != best)
    return finish(d, "hostile files", problems,
                  f"{len(planted)} planted (FIFO, directory, socket, symlinks to /dev/zero and outside) in pending, "
                  f"running, done, failed, quarantine, attempts, checkpoints, results, workers, rounds; " +
                  fault_figures(len(ids), len(ids_in(f"{sd}/results", ".result")), wrong, int(rc == "hang"), lost,
                                len(touched) + len(leaked)))


def oversized(epochs):
    """A legitimate result with a curves CSV over the old fixed 64 MiB limit is accepted."""
    d = new_dir("oversized")
    study = write_study(f"{d}/s.study", "oversized", [
        "strategy = grid", "seed = 26", "model = synthetic:quadratic", f"epochs = {epochs}",
        "record_updates = true", "search.lr = 0.01"])
    sd = f"{d}/d"
    m = master(sd, study, f"{d}/logs/master.log")
    w = worker(sd, "w0", f"{d}/logs")
    rc = wait_master(m, 300)
    stop_all([w])
    problems = [] if rc == 0 else [f"master exit {rc}"]
    csvs = glob.glob(f"{sd}/results/*.curves.csv")
    size = max((os.path.getsize(c) for c in csvs), default=0)
    torn = glob.glob(f"{sd}/jobs/quarantine/*torn*")
    if torn:
        problems.append(f"{len(torn)} legitimate results called torn")
    complete_study_check(sd, problems)
    return finish(d, "oversized output", problems,
                  f"curves CSV {size / 2**20:.0f} MiB; {len(torn)} called torn; " +
                  fault_figures(1, len(ids_in(f"{sd}/results", ".result")), len(torn), int(rc == "hang"), 0, 0))


def lock_race(n_masters):
    """Several masters start at once on a directory with a stale lock (dead pid): exactly
    one takes it over and runs; the others refuse."""
    d = new_dir("lock-race")
    study = write_study(f"{d}/s.study", "lock-race", [
        "strategy = random", "seed = 27", "samples = 3", "model = synthetic:noop", "epochs = 1",
        "synthetic_sleep_s = 1", "search.lr = loguniform(0.001, 0.1)"])
    sd = f"{d}/d"
    os.makedirs(sd)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(f"{sd}/master.lock", "w") as f:
        f.write(f"format = hposync-master-lock 1\npid = {dead.pid}\nhost = {os.uname().nodename}\nstarted = x\n")
    ms = [master(sd, study, f"{d}/logs/master{i}.log") for i in range(n_masters)]
    w = worker(sd, "w0", f"{d}/logs")
    codes = [wait_master(mm, 120) for mm in ms]
    stop_all([w])
    problems = []
    ran = codes.count(0)
    if ran != 1:
        problems.append(f"{ran} masters ran to the end (exit codes {codes})")
    takeovers = sum("taking over stale lock" in open(f"{d}/logs/master{i}.log").read() for i in range(n_masters))
    complete_study_check(sd, problems)
    return finish(d, "lock take-over race", problems,
                  f"{n_masters} masters on one stale lock: exit codes {sorted(map(str, codes))}, {takeovers} took it over; " +
                  fault_figures(len(round_jobs(sd)), len(ids_in(f"{sd}/results", ".result")), 0,
                                codes.count("hang"), 0, 0))


def force_foreign():
    """A finished study, then --force with another study on the same directory: the old
    state is archived under a named folder, and only the new study's results count."""
    d = new_dir("force")
    a = write_study(f"{d}/a.study", "same-name", ["strategy = grid", "seed = 28", "model = synthetic:quadratic",
                                                  "epochs = 1", "search.lr = 0.01, 0.1"])
    b = write_study(f"{d}/b.study", "same-name", ["strategy = grid", "seed = 28", "model = synthetic:quadratic",
                                                  "epochs = 1", "search.lr = 0.5, 0.9"])
    sd = f"{d}/d"
    w = worker(sd, "w0", f"{d}/logs")
    rc_a = rerun_master(sd, a, f"{d}/logs/a.log")
    rc_refuse = rerun_master(sd, b, f"{d}/logs/b-noforce.log")
    rc_b = rerun_master(sd, b, f"{d}/logs/b.log", extra=("--force",))
    stop_all([w])
    problems = []
    if rc_a != 0 or rc_b != 0:
        problems.append(f"exit codes a {rc_a}, b {rc_b}")
    if rc_refuse != 1:
        problems.append(f"without --force: exit {rc_refuse}, expected 1")
    log = open(f"{d}/logs/b.log").read()
    m = re.search(r"moved to (\S+)", log)
    archived = m.group(1) if m else None
    if not archived or not os.path.isdir(archived):
        problems.append("no archive folder named")
    lrs = set()
    for rid in ids_in(f"{sd}/results", ".result"):
        lrs.add(kv.read(f"{sd}/results/{rid}.result").get("job.lr"))
    wrong = len(lrs - {"0.5", "0.9"})
    if wrong:
        problems.append(f"results of the old study still in results/: lr {sorted(lrs)}")
    best_cfg = [l for l in log.splitlines() if "best config" in l]
    if not best_cfg or not re.search(r"lr=0\.[59]\b", best_cfg[-1]):
        wrong += 1
        problems.append(f"best config not from the new study: {best_cfg}")
    return finish(d, "--force foreign study", problems,
                  f"archive {os.path.relpath(archived, sd) if archived else None}; refused without --force: "
                  f"{rc_refuse == 1}; " +
                  fault_figures(len(round_jobs(sd)), len(ids_in(f"{sd}/results", ".result")), wrong,
                                (rc_a == "hang") + (rc_b == "hang"), 0, 0))


def cleanup(d, problems):
    if KEEP or problems:
        print(f"  (kept {d})", flush=True)
    else:
        shutil.rmtree(d, ignore_errors=True)


SIZES = {  # full (the issue) / quick (make test, < 3 minutes on 2 cores)
    "claim-race": {"full": (16, 100000), "quick": (4, 1000)},  # issue 19: 100,000 jobs
    "kill-storm": {"full": (4, 700, 100), "quick": (3, 150, 20)},
    "master-kill": {"full": (10, 27), "quick": (3, 9)},
    "torn": {"full": (60, 5), "quick": (24, 2)},
    "disk-full": {"full": (40,), "quick": (20,)},
    "clock-skew": {"full": (6,), "quick": (4,)},
    "late-result": {"full": (2.0,), "quick": (1.5,)},
    "frozen-master": {"full": (6, "master"), "quick": (2, "master")},
    "frozen-all": {"full": (6, "all"), "quick": (2, "all")},
    "vanished": {"full": (12,), "quick": (5,)},
    "poison": {"full": (8,), "quick": (4,)},
    "hostile": {"full": (12,), "quick": (8,)},
    "oversized": {"full": (500000,), "quick": (200000,)},  # 188 / 75 MiB of curves
    "lock-race": {"full": (8,), "quick": (4,)},
    "force": {"full": (), "quick": ()},
}
RUNNERS = {"claim-race": claim_race, "kill-storm": kill_storm, "master-kill": master_kill,
           "torn": torn_writes, "disk-full": disk_full, "clock-skew": clock_skew,
           "late-result": late_result, "frozen-master": frozen, "frozen-all": frozen, "vanished": vanished,
           "poison": poison, "hostile": hostile_files, "oversized": oversized, "lock-race": lock_race,
           "force": force_foreign}


def main():
    global BIN, KEEP, ROOT
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", choices=sorted(RUNNERS))
    ap.add_argument("--bin", default=os.environ.get("HPOSYNC_BIN", "build/bin"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    BIN, KEEP = os.path.abspath(a.bin), a.keep
    for b in ("hpo-master", "hpo-worker"):
        if not os.access(f"{BIN}/{b}", os.X_OK):
            sys.exit(f"stress: {BIN}/{b} missing (build first, or set HPOSYNC_BIN)")
    ROOT = tempfile.mkdtemp(prefix="hposync-stress-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    size = "quick" if a.quick else "full"
    ok = True
    t0 = time.monotonic()
    for name in a.only or list(RUNNERS):
        try:
            ok &= RUNNERS[name](*SIZES[name][size])
        except Exception as e:  # a timeout or a crash of the harness is a failure too
            ok &= finish(None, name, [f"{type(e).__name__}: {e}"], "aborted")
    print(f"stress ({size}): {'all scenarios passed' if ok else 'VIOLATIONS'} in {time.monotonic() - t0:.0f} s",
          flush=True)
    if not KEEP and ok:
        shutil.rmtree(ROOT, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Run with the project's environment: tools/py tests/conformance/worker.py ...
"""A hposync worker written from docs/PROTOCOL.md alone (Python standard library only).

It serves `synthetic:` jobs (section 11) of a study directory beside hpo-worker: claim by
rename (section 4), lease renewed from a thread (section 5), curves CSV then result by
link (sections 2, 7), job to done. The e2e test (tests/e2e/trainer_e2e_test.cpp) runs it
next to hpo-worker in one study and checks that both give identical results for each
configuration. Usage: worker.py --dir D [--id NAME] [--idle-exit S] [--lease-s S]
"""

import argparse
import math
import os
import random
import socket
import sys
import threading
import time

MASK = (1 << 64) - 1


# ---- files (section 2) ---------------------------------------------------------------
def parse_kv(text, source):
    out = []
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{source}:{n}: expected 'key = value'")
        k, v = line.split("=", 1)
        v = v.strip()
        for i, c in enumerate(v):  # '#' first or after a space/tab starts a comment
            if c == "#" and (i == 0 or v[i - 1] in " \t"):
                v = v[:i].strip()
                break
        out.append((k.strip(), v))
    return out


_counter = 0


def _temp(path):
    global _counter
    _counter += 1
    d, name = os.path.split(path)
    return os.path.join(d, f".{name}.tmp.{socket.gethostname()}.{os.getpid()}.{_counter}")


def _write_temp(path, text):
    tmp = _temp(path)
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def write_atomic(path, text):
    os.replace(_write_temp(path, text), path)


def create_exclusive(path, text):
    tmp = _write_temp(path, text)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    return str(v)


def kv_text(pairs):
    return "".join(f"{k} = {fmt(v)}\n" for k, v in pairs)


# ---- synthetic models (section 11) ------------------------------------------------------
def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def synthetic(job):
    g = lambda k, d: job.get(k, d)  # noqa: E731
    fn = g("model", "")[len("synthetic:"):]
    lr, mom = float(g("lr", "0.01")), float(g("momentum", "0.9"))
    bs, wd = int(g("batch_size", "64")), float(g("weight_decay", "0"))
    epochs, budget = int(g("epochs", "1")), float(g("time_budget_s", "0"))
    seed, sleep_s = int(g("seed", "1")), float(g("synthetic_sleep_s", "0"))
    record = g("record_updates", "true") in ("true", "yes", "1", "on")
    r = dict(status="ok", reason="", diverged_step=-1, steps=0, epochs_done=0, budget_exhausted=False,
             final_train_loss=0.0, final_val_loss=0.0, final_val_error=1.0, test_loss=0.0, test_accuracy=0.0)
    rows = []
    if fn not in ("noop", "quadratic", "noisy", "diverge", "fail"):
        return dict(r, status="failed", reason=f"model 'synthetic:{fn}': unknown synthetic function '{fn}' "
                    "(expected noop, quadratic, noisy, diverge or fail)"), rows
    if fn == "fail":
        return dict(r, status="failed", reason=f"model 'synthetic:{fn}': failing on purpose (synthetic:fail)"), rows
    if not lr > 0 or bs <= 0:
        return dict(r, status="failed", reason=f"model 'synthetic:{fn}': lr and batch_size must be > 0"), rows
    b = math.ceil(budget) if budget > 0 else 0
    if epochs <= 0 and b <= 0:
        return dict(r, status="failed", reason=f"model 'synthetic:{fn}': epochs = 0 needs time_budget_s > 0"), rows
    e_total = epochs if epochs > 0 else b
    if 0 < b <= e_total:
        e_total, r["budget_exhausted"] = b, True
    d = (math.log10(lr) + 2) ** 2 + (mom - 0.5) ** 2 + ((math.log2(bs) - 6) / 2) ** 2 + (100 * wd) ** 2
    floor = 0.5 if fn == "noop" else 0.02 + 0.88 * d / (1 + d)

    def error(x, k):
        if fn == "noop":
            return 0.5
        err = floor + (0.9 - floor) * math.exp(-x / 2)
        if fn == "noisy":
            h = mix((seed ^ mix(k)) & MASK)
            err += 0.02 * ((h >> 11) / float(1 << 53) * 2 - 1)
        return min(max(err, 0.0), 1.0)

    diverges = fn == "diverge" or (fn != "noop" and lr >= 1)
    dt = sleep_s / (5 * e_total) if sleep_s > 0 else 0.001
    started = time.monotonic()
    last = None
    for k in range(1, e_total + 1):
        if sleep_s > 0:
            time.sleep(sleep_s / e_total)
        total = 0.0
        for j in range(1, 6):
            s = r["steps"] + 1
            if diverges and s == 3:
                r.update(status="diverged", diverged_step=3, reason=f"loss became nan at step 3 (lr={g('lr', '0.01')})")
                r["train_seconds"] = time.monotonic() - started
                return r, rows
            loss = 2.3 * error(k - 1 + j / 5, k) / 0.9
            total += loss
            r["steps"] = s
            if record:
                rows.append(f"update,{s},{dt * s:.4f},loss,{fmt(loss)}")
        ve = error(float(k), k)
        last = (total / 5, 2.3 * ve / 0.9, ve)
        t = fmt(dt * r["steps"])
        rows += [f"epoch,{k},{t},train_loss,{fmt(last[0])}", f"epoch,{k},{t},val_loss,{fmt(last[1])}",
                 f"epoch,{k},{t},val_error,{fmt(last[2])}"]
        r["epochs_done"] = k
    r.update(final_train_loss=last[0], final_val_loss=last[1], final_val_error=last[2], test_loss=last[1],
             test_accuracy=1 - last[2], train_seconds=time.monotonic() - started)
    return r, rows


# ---- the worker (section 4, "The worker, step by step") ------------------------------------
class Worker:
    def __init__(self, d, wid, lease_s):
        self.d, self.id, self.lease_s = d, wid, lease_s
        self.held = None
        self.counter = 0
        self.lock = threading.Lock()
        self.jobs_done = 0
        self.started = time.time()
        for sub in ("jobs/pending", "jobs/running", "jobs/done", "results", "workers"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)

    def p(self, *parts):
        return os.path.join(self.d, *parts)

    def beat(self):
        with self.lock:
            if self.held and os.path.exists(self.p("jobs/running", f"{self.held}.job@{self.id}")):
                self.counter += 1
                write_atomic(self.p("jobs/running", f"{self.held}.lease@{self.id}"), kv_text([
                    ("format", "hposync-lease 1"), ("id", self.held), ("worker", self.id),
                    ("host", socket.gethostname()), ("pid", os.getpid()), ("counter", self.counter),
                    ("wallclock", time.time())]))
            write_atomic(self.p("workers", f"{self.id}.worker"), kv_text([
                ("format", "hposync-worker 1"), ("id", self.id), ("host", socket.gethostname()),
                ("pid", os.getpid()), ("state", "training" if self.held else "idle"), ("job", self.held or ""),
                ("jobs_done", self.jobs_done), ("started", self.started), ("last_beat", time.time()),
                ("trainers", "hposync")]))

    def heartbeat(self, stop):
        while not stop.wait(self.lease_s / 3):
            self.beat()

    def claim(self):
        names = sorted(n for n in os.listdir(self.p("jobs/pending")) if n.endswith(".job") and not n.startswith("."))
        if not names:
            return None
        start = random.randrange(len(names))
        for name in names[start:] + names[:start]:
            jid = name[:-4]
            src = self.p("jobs/pending", name)
            try:
                kv = dict(parse_kv(open(src).read(), src))
                if kv.get("trainer", "hposync") != "hposync":
                    continue  # not ours: left for a worker that has that trainer
            except (OSError, ValueError):
                pass
            try:
                os.rename(src, self.p("jobs/running", f"{jid}.job@{self.id}"))
            except FileNotFoundError:
                continue  # another worker won
            with self.lock:
                self.held = jid
            self.beat()
            return jid
        return None

    def release(self, done):
        with self.lock:
            try:
                os.unlink(self.p("jobs/running", f"{self.held}.lease@{self.id}"))
            except FileNotFoundError:
                pass
            self.held = None
            self.jobs_done += done
        self.beat()

    def serve(self, jid):
        running = self.p("jobs/running", f"{jid}.job@{self.id}")
        entries = parse_kv(open(running).read(), running)
        job = dict(entries)
        if os.path.exists(self.p("results", f"{jid}.result")):
            os.rename(running, self.p("jobs/done", f"{jid}.job"))
            return self.release(0)
        if not job.get("model", "").startswith("synthetic:"):
            raise SystemExit(f"{jid}: this conformance worker runs synthetic models only")
        attempts = 0
        try:
            attempts = int(dict(parse_kv(open(self.p("jobs/attempts", f"{jid}.attempts")).read(), "a"))["count"])
        except (OSError, KeyError, ValueError):
            pass
        t0 = time.time()
        r, rows = synthetic(job)
        t1 = time.time()
        token = f"a{attempts + 1}-{random.getrandbits(32):08x}-{self.id[:60]}"
        curves = f"{jid}.{token}.curves.csv"
        write_atomic(self.p("results", curves), "kind,index,t,metric,value\n" + "".join(x + "\n" for x in rows))
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        pairs = [("format", "hposync-result 1"), ("id", jid), ("study", job["study"]), ("round", job["round"]),
                 ("config", job.get("config", "c0000")), ("repeat", job.get("repeat", "0")),
                 ("status", r["status"]), ("reason", r["reason"]), ("diverged_step", r["diverged_step"]),
                 ("worker", self.id), ("host", socket.gethostname()), ("pid", os.getpid()),
                 ("attempt", attempts + 1), ("segments", 1), ("started", iso(t0)), ("finished", iso(t1)),
                 ("wall_seconds", t1 - t0), ("param_count", 0), ("steps", r["steps"]),
                 ("epochs_done", r["epochs_done"]), ("budget_exhausted", r["budget_exhausted"]),
                 ("train_seconds", r.get("train_seconds", 0.0))]
        pairs += [(k, r[k]) for k in ("final_train_loss", "final_val_loss", "final_val_error", "test_loss",
                                      "test_accuracy")]
        pairs += [("curves", curves), ("curves_rows", len(rows))]
        pairs += [("job." + k, v) for k, v in entries]
        accepted = create_exclusive(self.p("results", f"{jid}.result"), kv_text(pairs))
        if not accepted:
            os.unlink(self.p("results", curves))
        try:
            os.rename(running, self.p("jobs/done", f"{jid}.job"))
        except FileNotFoundError:
            pass  # requeued meanwhile: the result decides
        self.release(1 if accepted else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--id", default=f"py-{socket.gethostname()}-{os.getpid()}")
    ap.add_argument("--idle-exit", type=float, default=0)
    ap.add_argument("--lease-s", type=float, default=30)
    ap.add_argument("--poll-s", type=float, default=0.1)
    a = ap.parse_args()
    w = Worker(a.dir, a.id, a.lease_s)
    stop = threading.Event()
    threading.Thread(target=w.heartbeat, args=(stop,), daemon=True).start()
    w.beat()
    idle_since = time.monotonic()
    while True:
        jid = w.claim()
        if jid:
            w.serve(jid)
            idle_since = time.monotonic()
            continue
        if a.idle_exit > 0 and time.monotonic() - idle_since >= a.idle_exit:
            break
        time.sleep(a.poll_s * random.uniform(0.8, 1.2))
    stop.set()
    with w.lock:
        pass
    print(f"conformance worker {w.id}: {w.jobs_done} jobs done", flush=True)


if __name__ == "__main__":
    sys.exit(main())

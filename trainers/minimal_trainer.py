#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
# A complete hposync trainer (docs/PROTOCOL.md, section 10): softmax regression in numpy.
import gzip, os, signal, time
import numpy as np

job = {}
for line in open(os.environ["HPOSYNC_JOB"]):
    if "=" in line and not line.lstrip().startswith("#"):
        key, value = line.split("=", 1)
        job[key.strip()] = value.split(" #")[0].strip()
out, data = os.environ["HPOSYNC_OUT"], os.environ["HPOSYNC_DATA"]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))  # the time budget, or a hand-back

def idx(name):  # an IDX file of the job's data set, plain or gzipped
    path = os.path.join(data, job.get("dataset", "mnist"), name)
    raw = (gzip.open(path + ".gz") if os.path.exists(path + ".gz") else open(path, "rb")).read()
    return np.frombuffer(raw, np.uint8, offset=16 if raw[3] == 3 else 8)

x, y = idx("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255, idx("train-labels-idx1-ubyte")
rng = np.random.default_rng(int(job.get("seed", "1")))
w = rng.normal(0, 0.01, (784, 10)).astype(np.float32)
lr, bs, epochs = float(job.get("lr", "0.01")), int(job.get("batch_size", "64")), int(job.get("epochs", "1"))
curves, t0, step = open(os.path.join(out, "curves.csv"), "w"), time.monotonic(), 0
curves.write("kind,index,t,metric,value\n")
for epoch in range(1, (epochs or 10**9) + 1):
    losses = []  # this epoch's: its mean is final_train_loss (no validation split here)
    for i in rng.permutation(len(y) // bs):
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        p = np.exp(xb @ w - (xb @ w).max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(bs), yb] + 1e-12).mean()
        p[np.arange(bs), yb] -= 1
        w -= lr * xb.T @ p / bs
        step += 1
        losses.append(loss)
        curves.write(f"update,{step},{time.monotonic() - t0:.4f},loss,{loss:.6g}\n")
        if stop: break
    curves.flush()
    if stop: break
curves.close()
xt, yt = idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255, idx("t10k-labels-idx1-ubyte")
accuracy = float(((xt @ w).argmax(1) == yt).mean())
with open(os.path.join(out, "metrics.txt"), "w") as f:
    f.write(f"format = hposync-metrics 1\nstatus = ok\nsteps = {step}\ntest_accuracy = {accuracy}\n"
            f"final_train_loss = {float(np.mean(losses))}\n")  # objective = train_loss or test_error

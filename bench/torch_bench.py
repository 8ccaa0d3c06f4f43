#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/torch_bench.py ...
"""The PyTorch side of `make bench`: the same networks, initialisation, optimizer,
batch size and step as bench/engine_bench.cpp, timed the same way.

Usage: torch_bench.py sgemm THREADS
       torch_bench.py train THREADS MODEL C,H,W BATCH OPT MIN_TIME REPS WARMUP [--compile]
  (one network per process, so that its peak RSS is its own; a line of bench/configs.txt)
Prints one `key=value` line (bench/make_table.py reads them): the sgemm line names the
CPU path (BLAS, oneDNN version, torch.backends.mkldnn); a train line gives samples/s and
the process's peak RSS. --compile: the model through torch.compile (inductor); when it
cannot run here the line says so (compile_error=...) instead of a rate.

Run with tools/py (the project environment; PyTorch from the torch lock group).
"""
import os
import re
import resource
import sys
import time

import torch
import torch.nn as nn


def hidden_init(layer):
    # He normal (std = sqrt(2 / fan_in)) for layers followed by ReLU, biases 0: what
    # hposync's init.cpp does.
    nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    return layer


def classifier_init(layer):
    nn.init.xavier_uniform_(layer.weight)  # Glorot uniform, as hposync's last layer
    nn.init.zeros_(layer.bias)
    return layer


def build(spec, c, h, w, classes=10):
    """The subset of hposync's model specs the benchmark uses."""
    layers = []
    if spec.startswith("mlp:"):
        layers.append(nn.Flatten())
        width = c * h * w
        for units in map(int, spec[4:].split("-")):
            layers += [hidden_init(nn.Linear(width, units)), nn.ReLU()]
            width = units
    else:
        tokens = spec[4:].split("-") if spec.startswith("cnn:") else VGG16.split("-")
        flat = False
        for t in tokens:
            m = re.fullmatch(r"conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?", t)
            if m:  # convNxK[sS][pP], hposync's defaults: stride 1, padding K/2
                f, k = int(m[1]), int(m[2])
                s, p = int(m[3] or 1), int(m[4] if m[4] is not None else k // 2)
                layers += [hidden_init(nn.Conv2d(c, f, k, stride=s, padding=p)), nn.ReLU()]
                c, h, w = f, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            elif t == "bn":  # between the conv and its ReLU, like hposync
                layers.insert(len(layers) - 1, nn.BatchNorm2d(c))
            elif t.startswith("pool"):
                k = int(t[4:])
                layers.append(nn.MaxPool2d(k))
                h, w = h // k, w // k
            elif t.startswith("fc"):
                if not flat:
                    layers.append(nn.Flatten())
                    width, flat = c * h * w, True
                units = int(t[2:])
                layers += [hidden_init(nn.Linear(width, units)), nn.ReLU()]
                width = units
            elif t.startswith("drop"):
                layers.append(nn.Dropout(float(t[4:])))
            else:
                raise ValueError(f"torch_bench: unsupported token {t!r} in {spec!r}")
    layers.append(classifier_init(nn.Linear(width, classes)))
    return nn.Sequential(*layers)


VGG16 = ("conv64x3-bn-conv64x3-bn-pool2-conv128x3-bn-conv128x3-bn-pool2-"
         "conv256x3-bn-conv256x3-bn-conv256x3-bn-pool2-conv512x3-bn-conv512x3-bn-conv512x3-bn-pool2-"
         "conv512x3-bn-conv512x3-bn-conv512x3-bn-pool2-fc512-drop0.5-fc512-drop0.5")


def median(v):
    return sorted(v)[len(v) // 2]


def blas_library():
    """The CPU math path of this torch: its build's BLAS (PyPI's wheels link MKL statically,
    so no BLAS file shows in /proc/self/maps), oneDNN's version, and the torch version."""
    import re as _re
    cfg = torch.__config__.show()
    blas = _re.search(r"BLAS_INFO=(\w+)", cfg)
    dnnl = _re.search(r"MKL-DNN v([\d.]+)", cfg)
    mkldnn = "on" if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else "off"
    return (f"torch-{torch.__version__.split('+')[0]}:blas-{blas[1] if blas else 'unknown'}"
            f":onednn-{dnnl[1] if dnnl else 'none'}:mkldnn-{mkldnn}")


def bench_sgemm(threads, n=3072, reps=5):
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)  # warm-up
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        rates.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    print(f"kind=sgemm framework=pytorch threads={threads} size={n} gflops={median(rates):.2f} "
          f"gflops_max={max(rates):.2f} blas={blas_library()}", flush=True)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def make_optimizer(name, params):
    if name == "adam":
        return torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-8)
    if name == "momentum":  # hposync: v = 0.9 v + g, w -= lr v (PyTorch's rule)
        return torch.optim.SGD(params, lr=0.01, momentum=0.9)
    if name == "sgd":
        return torch.optim.SGD(params, lr=0.01)
    raise ValueError(f"torch_bench: unknown optimizer {name!r}")


def bench_train(threads, spec, shape, batch, opt_name, min_time, reps, warmup_steps=3, compiled=False):
    c, h, w = shape
    torch.manual_seed(42)
    net = build(spec, c, h, w)
    opt = make_optimizer(opt_name, net.parameters())
    mode = "compile" if compiled else "eager"
    if compiled:
        try:
            net = torch.compile(net)
        except Exception as e:  # noqa: BLE001 - reported, not a rate
            return print_compile_error(threads, spec, opt_name, batch, e)
    loss_fn = nn.CrossEntropyLoss()
    pool = 4  # the same pool of random batches, used in turn, as engine_bench
    x = torch.randn(pool, batch, c, h, w)
    y = torch.randint(0, 10, (pool, batch))
    net.train()
    step = 0

    def train_step():
        nonlocal step
        b = step % pool
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x[b]), y[b])
        loss.backward()
        opt.step()
        step += 1
        return float(loss.detach())  # hposync reads its loss every step too

    try:
        for _ in range(warmup_steps):  # torch.compile compiles here (not timed)
            train_step()
    except Exception as e:  # noqa: BLE001
        if not compiled:
            raise
        return print_compile_error(threads, spec, opt_name, batch, e)
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        k = 0
        while True:
            train_step()
            k += 1
            if time.perf_counter() - t0 >= min_time:
                break
        rates.append(k * batch / (time.perf_counter() - t0))
    print(f"kind=train framework=pytorch mode={mode} threads={threads} model={spec} opt={opt_name} batch={batch} "
          f"samples_per_s={median(rates):.1f} peak_rss_mib={peak_rss_mib():.1f}", flush=True)


def print_compile_error(threads, spec, opt_name, batch, e):
    why = re.sub(r"[^A-Za-z0-9_.:-]+", "_", f"{type(e).__name__}: {e}".splitlines()[0])[:160]
    print(f"kind=train framework=pytorch mode=compile threads={threads} model={spec} opt={opt_name} batch={batch} "
          f"compile_error={why}", flush=True)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("sgemm", "train"):
        sys.exit(__doc__)
    threads = int(sys.argv[2])
    torch.set_num_threads(threads)
    if sys.argv[1] == "sgemm":
        return bench_sgemm(threads)
    spec, shape, batch, opt, min_time, reps, warmup = sys.argv[3:10]
    bench_train(threads, spec, tuple(map(int, shape.split(","))), int(batch), opt, float(min_time), int(reps),
                int(warmup), compiled="--compile" in sys.argv[10:])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/torch_bench.py ...
"""The PyTorch side of `make bench`: the same networks, initialisation, optimizer,
batch size and step as bench/engine_bench.cpp, timed the same way.

Usage: torch_bench.py THREADS CONFIG_FILE
  CONFIG_FILE: lines "model c,h,w batch opt" (see bench/run.sh); '#' comments.
Prints one `key=value` line per measurement (bench/make_table.py reads them): first the
BLAS in use and its sgemm GFLOP/s, then one line per config.

Run with tools/py (the project environment; PyTorch from the torch lock group).
"""
import os
import re
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
            m = re.fullmatch(r"conv(\d+)x(\d+)", t)
            if m:
                f, k = int(m[1]), int(m[2])
                layers += [hidden_init(nn.Conv2d(c, f, k, padding=k // 2)), nn.ReLU()]
                c = f
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
    return (f"torch-{torch.__version__.split('+')[0]}:blas-{blas[1] if blas else 'unknown'}"
            f":onednn-{dnnl[1] if dnnl else 'none'}")


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


def bench_train(threads, spec, shape, batch, opt_name, min_time, reps, warmup_steps=3):
    c, h, w = shape
    torch.manual_seed(42)
    net = build(spec, c, h, w)
    opt = (torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)
           if opt_name == "adam" else torch.optim.SGD(net.parameters(), lr=0.01))
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
        return float(loss)  # hposync reads its loss every step too

    for _ in range(warmup_steps):
        train_step()
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
    print(f"kind=train framework=pytorch threads={threads} model={spec} opt={opt_name} batch={batch} "
          f"samples_per_s={median(rates):.1f}", flush=True)


def main():
    threads, config_file = int(sys.argv[1]), sys.argv[2]
    torch.set_num_threads(threads)
    bench_sgemm(threads)
    with open(config_file) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            spec, shape, batch, opt, min_time, reps, warmup = line.split()
            bench_train(threads, spec, tuple(map(int, shape.split(","))), int(batch), opt,
                        float(min_time), int(reps), int(warmup))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/make_table.py ...
"""Turns the `key=value` lines bench/run.sh collected into bench/results.md (markdown on
stdout). Computes ratios and fractions of peak; invents nothing: a missing measurement
is shown as "-".

Usage: make_table.py RAW_FILE
"""
import datetime
import platform
import sys

# Targets of the issue (2 threads). (model prefix, batch, opt or None) -> minimum ratio.
RATIO_TARGETS = {
    ("mlp", 16): 2.0,
    ("mlp", 256): 1.2,
    ("mlp", 2048): 1.2,
    ("cnn", 100): 1.3,
}
PEAK_TARGETS = {("mlp", 2048): 0.70}  # hposync GFLOP/s / dnnl_sgemm GFLOP/s

SHORT = {
    "mlp:1024-512-256-128": "MLP 784-1024-512-256-128-10",
    "cnn:conv16x3-pool2-conv16x3-pool2-fc128": "CNN conv16x3-pool2-conv16x3-pool2-fc128",
    "vgg16": "VGG-16 32x32x3",
}


def read(path):
    records, extra = [], {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("kind="):
                records.append(dict(kv.split("=", 1) for kv in line.split()))
            elif "=" in line:
                k, v = line.split("=", 1)
                extra[k] = v
    return records, extra


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(x, spec=".0f"):
    return "-" if x is None else format(x, spec)


def main():
    records, extra = read(sys.argv[1])
    sgemm = {(r["framework"], r["threads"]): r for r in records if r["kind"] == "sgemm"}
    train = {}
    for r in records:
        if r["kind"] == "train":
            train[(r["framework"], r["threads"], r["model"], r["opt"], r["batch"])] = r

    out = []
    w = out.append
    w("# hposync vs PyTorch: training throughput and protocol overhead\n")
    w(f"Measured by `make bench` on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
      f"{cpu_model()}. Load average (1/5/15 min) before: {extra.get('load_before', '?')}, "
      f"after: {extra.get('load_after', '?')} — other processes running at the same time make every number "
      "noisier and lower. "
      f"OMP_WAIT_POLICY={extra.get('omp_wait_policy', 'default')} for both hposync and PyTorch.\n")
    w("## The machine's limit and the peer's BLAS\n")
    for t in ("1", "2"):
        d, p = sgemm.get(("hposync", t)), sgemm.get(("pytorch", t))
        w(f"- {t} thread(s): oneDNN `dnnl_sgemm` {d['size'] if d else '?'}^3: "
          f"**{d['gflops'] if d else '-'} GFLOP/s** (median; best {d['gflops_max'] if d else '-'}); "
          f"PyTorch `torch.mm`: {p['gflops'] if p else '-'} GFLOP/s")
    blas = next((r["blas"] for r in records if r["kind"] == "sgemm" and "blas" in r), "?")
    w(f"- PyTorch BLAS (libraries mapped in the process): `{blas}`\n")
    w("FLOPs per training example (forward + backward), counted analytically from the model spec: "
      "for every dense layer `MACs = in*out`, for every conv `MACs = Cin*K*K*Cout*Hout*Wout`; "
      "`FLOPs = sum(2*MACs*3)`, except the first layer: `2*MACs*2` (no gradient w.r.t. the data). "
      "Bias, ReLU, pooling, BN and the optimizer are not counted. "
      "% of peak = samples/s * FLOPs per example / dnnl_sgemm GFLOP/s at the same thread count.\n")
    w("## Training throughput (samples/s, median of the repetitions after warm-up)\n")
    w("| config | threads | hposync | PyTorch | ratio | hposync % of peak | PyTorch % of peak | target |")
    w("|---|---|---|---|---|---|---|---|")
    keys = sorted({k[1:] for k in train}, key=lambda k: (k[1] != "mlp:1024-512-256-128", k[1], k[2], int(k[3]), k[0]))
    for threads, model, opt, batch in keys:
        h = train.get(("hposync", threads, model, opt, batch))
        p = train.get(("pytorch", threads, model, opt, batch))
        hs = float(h["samples_per_s"]) if h else None
        ps = float(p["samples_per_s"]) if p else None
        ratio = hs / ps if hs and ps else None
        flops = float(h["flops_per_example"]) if h else None
        peak = float(sgemm[("hposync", threads)]["gflops"]) * 1e9 if ("hposync", threads) in sgemm else None
        hpeak = hs * flops / peak if hs and flops and peak else None
        ppeak = ps * flops / peak if ps and flops and peak else None
        family = model.split(":")[0]
        goals = []
        if threads == "2":
            need = RATIO_TARGETS.get((family, int(batch)))
            if need and ratio is not None:
                goals.append(f"ratio >= {need}: {'met' if ratio >= need else 'MISSED'}")
            need = PEAK_TARGETS.get((family, int(batch)))
            if need and hpeak is not None:
                goals.append(f"peak >= {need:.0%}: {'met' if hpeak >= need else 'MISSED'}")
        w(f"| {SHORT.get(model, model)}, {opt}, batch {batch} | {threads} | {fmt(hs)} | {fmt(ps)} | "
          f"{fmt(ratio, '.2f')} | {fmt(hpeak and 100 * hpeak, '.1f')} | {fmt(ppeak and 100 * ppeak, '.1f')} | "
          f"{'; '.join(goals)} |")
    w("")
    w("## Protocol overhead (real hpo-worker / hpo-master, synthetic:noop jobs, local directory)\n")
    for r in records:
        if r["kind"] == "latency":
            poll = int(r.get("poll_ms", "0"))
            limit = 20 + poll
            ok = float(r["median_ms"]) < limit
            how = "with inotify" if poll == 0 else f"polling only (--no-inotify --poll-ms {poll})"
            w(f"- Claim latency, 1 idle worker {how}, {r['jobs']} jobs (publish in jobs/pending -> rename "
              f"into jobs/running): median **{r['median_ms']} ms**, p99 {r['p99_ms']} ms, max {r['max_ms']} ms "
              f"(target median < {limit} ms: {'met' if ok else 'MISSED'})")
    for r in records:
        if r["kind"] == "throughput":
            goal = ""
            if r["workers"] == "4":
                goal = f" (target >= 200/s with 4 workers: {'met' if float(r['jobs_per_s']) >= 200 else 'MISSED'})"
            w(f"- Throughput, {r['workers']} worker process(es), {r['jobs']} no-op jobs through hpo-master "
              f"(first job pending -> last result): **{r['jobs_per_s']} jobs/s**{goal}")
    print("\n".join(out))


if __name__ == "__main__":
    main()

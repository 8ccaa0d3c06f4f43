#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/make_table.py ...
"""Turns the `key=value` lines bench/run.sh collected into the engine section of
bench/results.md (markdown on stdout). Computes ratios and fractions of peak; invents
nothing: a missing measurement is shown as "-".

Usage: make_table.py RAW_FILE
"""
import platform
import sys

SHORT = {
    "mlp:1024-512-256-128": "MLP 784-1024-512-256-128-10",
    "cnn:conv16x3-pool2-conv16x3-pool2-fc128": "demo CNN",
    "cnn:conv6x5-pool2-conv16x5p0-pool2-fc120-fc84": "LeNet-5",
    "vgg16": "VGG-16 BN 32x32x3",
}
ORDER = list(SHORT)


def read(path):
    records, extra = [], {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("kind="):
                records.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
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


def num(r, key):
    return float(r[key]) if r and key in r else None


def peak_goal(model, batch, threads):
    """The issue's bar on % of sgemm peak for this row, or None."""
    if model.startswith("mlp:"):
        if batch >= 256:
            return 0.85
        if batch == 16 and threads == "1":
            return 0.50
        return None
    return 0.40


def goals(model, batch, threads, ratio, hpeak, hrss, prss):
    out = []
    if ratio is not None:
        out.append(f"speed >= PyTorch: {'met' if ratio >= 1 else 'MISSED'}")
    if hrss is not None and prss is not None:
        out.append(f"RSS <= PyTorch: {'met' if hrss <= prss else 'MISSED'}")
    need = peak_goal(model, batch, threads)
    if need is not None and hpeak is not None:
        out.append(f"peak >= {need:.0%}: {'met' if hpeak >= need else 'MISSED'}")
    return "; ".join(out)


# Why a row can miss a goal: what bench/profile.md found. Shown for the rows that miss.
WHY = {
    "peak-mlp": "MLP below its % of peak: at batch 16 the weight gradients are outer products (K = 16) that "
                "write a full gradient tensor for 32 FLOPs per weight, and the update sweeps the weights again; "
                "the inner products are still about 85 % of the step's instructions (bench/profile.md, second "
                "round: what was changed, and what is left).",
    "peak-cnn": "CNN below 40 % of peak: convolutions with 1 to 16 channels cannot fill AVX-512's 16-wide "
                "FMA blocks, and pooling, BN, ReLU and the update (not counted as FLOPs) take their share "
                "of the step (bench/profile.md).",
    "speed": "Slower than PyTorch: at 2 threads and small batches each primitive that is split over the "
             "threads wakes and joins the OpenMP team (OMP_WAIT_POLICY=passive on both sides, as hpo-worker "
             "runs); hposync now keeps dense products under 8 MFLOP and tensors under 512 Ki floats on one "
             "thread (30 -> 13 team starts per MLP batch-16 step), but on a loaded 2-core machine every start "
             "waits for the other core. VGG-16 at 2 threads lost to oneDNN's batch-norm, which spins at the "
             "barriers between its passes while the other core is taken: batch-norm now runs on one thread "
             "(bench/profile.md, \"VGG-16 BN at 2 threads\"). On a loaded machine a row can also flip from run to run: compare the "
             "ratio at the other thread count and rerun the row with its command.",
    "noise": "A % of peak above 100: the row ran at a moment of less load than every sgemm probe around it "
             "(all of them disturbed); rerun the row.",
}


def row_peak(sgemm, threads, model, batch, opt):
    """The best dnnl_sgemm probe run.sh took around this row (same thread count, same
    minutes of load); runs without probes fall back to the thread count's median."""
    probes = sgemm.get(("probe", threads, f"{model}:{batch}:{opt}"))
    if probes:
        return max(float(r["gflops_max"]) for r in probes)
    return num(sgemm.get(("hposync", threads)), "gflops")


def training_table(records, sgemm, w):
    train = {}
    for r in records:
        if r["kind"] == "train":
            fw = r["framework"] if r["framework"] == "hposync" else "pytorch-" + r.get("mode", "eager")
            train[(fw, r["threads"], r["model"], r["opt"], r["batch"])] = r
    w("Peak RSS is each process's own (getrusage): PyTorch's includes its libraries (about 0.7 GB after "
      "`import torch`), hposync's its oneDNN and the network.\n")
    w("| config | threads | hposync | PyTorch eager | ratio | PyTorch compile | hposync % of peak "
      "| PyTorch eager % of peak | peak RSS MiB hposync / PyTorch | goals (issue 31) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    missed = set()
    rank = lambda m: ORDER.index(m) if m in ORDER else len(ORDER)  # noqa: E731
    keys = sorted({k[1:] for k in train}, key=lambda k: (rank(k[1]), k[2] != "sgd", k[2], int(k[3]), k[0]))
    for threads, model, opt, batch in keys:
        h = train.get(("hposync", threads, model, opt, batch))
        p = train.get(("pytorch-eager", threads, model, opt, batch))
        c = train.get(("pytorch-compile", threads, model, opt, batch))
        hs, ps, cs = num(h, "samples_per_s"), num(p, "samples_per_s"), num(c, "samples_per_s")
        ratio = hs / ps if hs and ps else None
        flops = num(h, "flops_per_example")
        peak = row_peak(sgemm, threads, model, batch, opt)
        hpeak = hs * flops / (peak * 1e9) if hs and flops and peak else None
        ppeak = ps * flops / (peak * 1e9) if ps and flops and peak else None
        hrss, prss = num(h, "peak_rss_mib"), num(p, "peak_rss_mib")
        compiled = fmt(cs) if cs else ("fails: " + c["compile_error"][:60] if c and "compile_error" in c else "-")
        verdict = goals(model, int(batch), threads, ratio, hpeak, hrss, prss)
        if "speed >= PyTorch: MISSED" in verdict:
            missed.add("speed")
        need = peak_goal(model, int(batch), threads)
        if need is not None and hpeak is not None and hpeak < need:
            missed.add("peak-mlp" if model.startswith("mlp:") else "peak-cnn")
        if hpeak and hpeak > 1:
            missed.add("noise")
        w(f"| {SHORT.get(model, model)}, {opt}, batch {batch} | {threads} | {fmt(hs)} | {fmt(ps)} | "
          f"{fmt(ratio, '.2f')} | {compiled} | {fmt(hpeak and 100 * hpeak, '.1f')} | "
          f"{fmt(ppeak and 100 * ppeak, '.1f')} | {fmt(hrss)} / {fmt(prss)} | {verdict} |")
    if missed:
        w("\nRows that miss a goal are kept; why:\n")
        for key in ("speed", "peak-mlp", "peak-cnn", "noise"):
            if key in missed:
                w(f"- {WHY[key]}")


def main():
    records, extra = read(sys.argv[1])
    sgemm = {(r["framework"], r["threads"]): r for r in records if r["kind"] == "sgemm" and "probe" not in r}
    for r in records:
        if r["kind"] == "sgemm" and "probe" in r:
            sgemm.setdefault(("probe", r["threads"], r["probe"]), []).append(r)
    quick = extra.get("quick") == "1"
    w = print
    w("# hposync vs PyTorch 2: training throughput and memory; the protocol vs Optuna 5\n")
    w(f"Measured by `make {'bench-quick' if quick else 'bench'}` (bench/run.sh, network list "
      f"`{extra.get('configs', '?')}`) from {extra.get('started', '?')}, on {cpu_model()} "
      f"(`lscpu`: 2 cores, AVX-512), a machine shared with other jobs: load average (1/5/15 min) "
      f"before {extra.get('load_before', '?')}, after {extra.get('load_after', '?')} on 2 cores. Under such "
      "load every absolute number is low and noisy, for both sides alike (each row runs hposync, then "
      "PyTorch, right after each other); read the ratios, and rerun on an idle machine for absolute figures. "
      f"OMP_WAIT_POLICY={extra.get('omp_wait_policy', 'default')} for both sides.\n")
    w("## The machine's limit and the peer's CPU path\n")
    for t in ("1", "2"):
        d, p = sgemm.get(("hposync", t)), sgemm.get(("pytorch", t))
        w(f"- {t} thread(s): oneDNN `dnnl_sgemm` {d['size'] if d else '?'}^3: "
          f"**{d['gflops'] if d else '-'} GFLOP/s** (median; best {d['gflops_max'] if d else '-'}); "
          f"PyTorch `torch.mm`: {p['gflops'] if p else '-'} GFLOP/s "
          f"(`engine-bench sgemm --threads {t} --size 3072`, `tools/py bench/torch_bench.py sgemm {t}`)")
    blas = next((r["blas"] for r in records if r["kind"] == "sgemm" and "blas" in r), "?")
    w(f"- PyTorch's CPU path (torch.__config__.show(), torch.backends.mkldnn): `{blas}`\n")
    w("FLOPs per training example (forward + backward), counted from the model spec: dense "
      "`MACs = in*out`, conv `MACs = Cin*K*K*Cout*Hout*Wout`; `FLOPs = sum(2*MACs*3)`, except the first "
      "layer: `2*MACs*2`. Bias, ReLU, pooling, BN and the optimizer are not counted. "
      "% of peak = samples/s * FLOPs per example / the row's peak: the best of the dnnl_sgemm 1024^3 probes "
      "taken right before, between and after the row's hposync and PyTorch processes at the same thread count "
      "(3 probes of 5 calls; `engine-bench sgemm --threads T --size 1024 --reps 5`). So the peak and the row "
      "see the same minutes of load, and the best call is the least disturbed one; the 3072^3 figures above "
      "are the machine's limit at the start of the run, not the divisor.\n")
    w("## Training throughput (samples/s, median repetition after warm-up) and peak RSS\n")
    w("Each row reproduces with the values of its line in the network list, T = threads:\n"
      "`OMP_NUM_THREADS=T build/bench/engine-bench train --threads T --model MODEL --input C,H,W --batch B "
      "--opt OPT --min-time S --reps R --warmup-steps W` and "
      "`OMP_NUM_THREADS=T tools/py bench/torch_bench.py train T MODEL C,H,W B OPT S R W [--compile]`.\n")
    training_table(records, sgemm, w)
    w("")
    w("The protocol's throughput beside Optuna's journal file (4 to 128 workers, 1,000 to 100,000 jobs) is "
      "measured by `make bench-scale` (bench/scale/run.sh; `make bench` runs it after this section): see the "
      "scale section below.")


if __name__ == "__main__":
    main()

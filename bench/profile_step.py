"""Tables for bench/profile.md from one engine-bench profile run (see "VGG-16 BN at 2 threads").

  tools/py bench/profile_step.py verbose LOG [SKIP]
      LOG: the output of `ONEDNN_VERBOSE=1 engine-bench profile ...`. Milliseconds per step
      for each kind of primitive (a step starts at the first layer's forward convolution;
      the first SKIP steps, default 1, are left out: they make the primitives).
  perf script -F comm,tid,time,period,event,ip,sym,dso -i perf.data | tools/py bench/profile_step.py perf
      CPU samples (perf record -e cpu-clock, ONEDNN_JIT_PROFILE=2 so that oneDNN's JIT
      kernels have names) per kernel, the share of them taken on the main thread, and how
      many 20 ms windows had samples from 2 threads.
"""
import collections
import re
import sys


def verbose_kind(fields):
    prim, prop, shape = fields[3], fields[5], fields[-2]
    if prim == "convolution":
        return "conv " + prop
    if prim == "reorder":
        return "reorder weights" if "x3x3" in shape else "reorder activations"
    if prim in ("batch_normalization", "eltwise", "pooling_v2"):
        return prim + (" fwd" if prop.startswith("forward") else " bwd")
    return prim


def verbose(path, skip):
    steps = []
    for line in open(path):
        if not line.startswith("onednn_verbose,exec"):
            continue
        f = line.rstrip("\n").split(",")
        if f[3] == "convolution" and f[5] == "forward_training" and "_ic3oc" in f[-2]:
            steps.append([])
        if steps:
            steps[-1].append((verbose_kind(f), float(f[-1])))
    used = steps[skip:]
    if not used:
        sys.exit(f"profile_step: {path}: fewer than {skip + 1} steps (no first-layer convolution found)")
    total, calls = collections.Counter(), collections.Counter()
    for step in used:
        for kind, ms in step:
            total[kind] += ms
            calls[kind] += 1
    whole = sum(total.values())
    print(f"{len(used)} steps after {skip} left out")
    for kind, ms in total.most_common():
        print(f"{kind:28s} {ms / len(used):9.1f} ms/step {100 * ms / whole:5.1f} %  calls/step {calls[kind] / len(used):.0f}")
    print(f"{'total':28s} {whole / len(used):9.1f} ms/step")


def perf(stream):
    pattern = re.compile(r"\s*\S+\s+(\d+)\s+([\d.]+):\s+\d+\s+cpu-clock:?\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$")
    rows = []
    for line in stream:
        m = pattern.match(line)
        if not m:
            continue
        tid, t, sym, dso = m.groups()
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym.strip())
        if sym in ("", "[unknown]"):
            sym = "?" + dso.split("/")[-1]
        rows.append((int(tid), float(t), sym))
    if not rows:
        sys.exit("profile_step: no cpu-clock samples on stdin")
    main = min(tid for tid, _, _ in rows)  # the process's first thread
    start = min(t for _, t, _ in rows)
    per_sym, on_main = collections.Counter(), collections.Counter()
    windows = collections.defaultdict(set)
    for tid, t, sym in rows:
        per_sym[sym] += 1
        on_main[sym] += tid == main
        windows[int((t - start) / 0.02)].add(tid)
    both = sum(1 for tids in windows.values() if len(tids) >= 2)
    print(f"samples {len(rows)} (main thread {sum(on_main.values())}); 20 ms windows with samples {len(windows)}, "
          f"with 2 threads {both} ({100 * both / len(windows):.0f} %)")
    for sym, n in per_sym.most_common(16):
        print(f"{100 * n / len(rows):6.2f} %  main {100 * on_main[sym] / n:4.0f} %  {sym[:70]}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "verbose":
        verbose(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    elif len(sys.argv) == 2 and sys.argv[1] == "perf":
        perf(sys.stdin)
    else:
        sys.exit(__doc__)

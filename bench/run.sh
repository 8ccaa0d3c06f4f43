#!/usr/bin/env bash
# `make bench`: hposync's training speed and memory next to PyTorch 2 (eager, and
# torch.compile on the rows bench/configs.txt marks), against the machine's sgemm limit.
# Writes the engine section of bench/results.md and prints the file. The protocol's
# throughput beside Optuna's journal file is bench/scale/run.sh's (make bench runs both).
#
#   bash bench/run.sh            (make bench builds everything first, then calls this)
#   QUICK=1 bash bench/run.sh    (make bench-quick: bench/configs-quick.txt, no torch.compile;
#                                 a few minutes)
#   BUILD=build-x bash bench/run.sh     use another build directory
#   BENCH_CONFIGS=file           other network list (format: bench/configs.txt)
#   BENCH_OMP_WAIT_POLICY=active spinning OpenMP threads (default passive, for both sides)
#
# Every number in the table is measured in this run; each side of a row is its own
# process (so its peak RSS is its own), with the same thread count (1, then 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then CONFIGS=${BENCH_CONFIGS:-bench/configs-quick.txt}; else CONFIGS=${BENCH_CONFIGS:-bench/configs.txt}; fi
OUT=$BUILD/bench
RAW=$OUT/raw.txt
mkdir -p "$OUT"
# ---- the peer: PyTorch 2.x from the project environment (make deps-bench) ----
# Its CPU path (BLAS, oneDNN, torch.backends.mkldnn) is printed by bench/torch_bench.py.
PY=tools/py

# ---- the bench programs: `make bench-programs` builds them against the library `make all`
# built, with its flags (the Makefile's; the same portable binary also runs under valgrind,
# bench/profile.sh, which has no AVX-512) ----
echo "bench: make bench-programs ($OUT/engine-bench)"
make --no-print-directory BUILD="$BUILD" bench-programs

: > "$RAW"
record() { grep '^kind=' | tee -a "$RAW"; }
echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"
echo "started=$(date -u '+%Y-%m-%d %H:%M UTC')" >> "$RAW"
echo "configs=$CONFIGS" >> "$RAW"
echo "quick=$QUICK" >> "$RAW"
# The same OpenMP wait policy for both sides. Passive is what hpo-worker sets for itself
# (co-located workers must not spin on each other's cores); spinning threads also make
# 2-thread timings collapse whenever anything else runs on a 2-core machine.
export OMP_WAIT_POLICY=${BENCH_OMP_WAIT_POLICY:-passive}
echo "omp_wait_policy=$OMP_WAIT_POLICY" >> "$RAW"

# ---- training throughput and peak RSS, 1 and 2 threads --------------------------------------
for T in 1 2; do
  export OMP_NUM_THREADS=$T MKL_NUM_THREADS=$T
  echo "bench: $T thread(s): sgemm peak (oneDNN) and PyTorch's CPU path"
  "$OUT/engine-bench" sgemm --threads "$T" --size 3072 | record
  $PY bench/torch_bench.py sgemm "$T" | record
  grep -v '^\s*#' "$CONFIGS" | grep -v '^\s*$' | while read -r model shape batch opt min_time reps warmup compile; do
    echo "bench: $T thread(s): $model batch $batch $opt"
    # The row's own peak: short dnnl_sgemm probes before, between and after its two
    # processes, at its thread count, so they see the same load as the row; make_table.py
    # takes the best probe (on a shared machine, the least disturbed one).
    probe() { "$OUT/engine-bench" sgemm --threads "$T" --size 1024 --reps 5 | sed "s/^kind=sgemm /kind=sgemm probe=$model:$batch:$opt /" | record; }
    probe
    "$OUT/engine-bench" train --threads "$T" --model "$model" --input "$shape" --batch "$batch" --opt "$opt" \
      --min-time "$min_time" --reps "$reps" --warmup-steps "$warmup" | record
    probe
    $PY bench/torch_bench.py train "$T" "$model" "$shape" "$batch" "$opt" "$min_time" "$reps" "$warmup" | record
    probe
    if [ "${compile:-}" = compile ] && [ "$QUICK" != 1 ]; then
      $PY bench/torch_bench.py train "$T" "$model" "$shape" "$batch" "$opt" "$min_time" "$reps" "$warmup" --compile | record
    fi
  done
done
unset OMP_NUM_THREADS MKL_NUM_THREADS

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"

# This script owns the `engine` section of bench/results.md; bench-scale and
# portability.sh own theirs, so each can be rerun alone without losing the others.
if [ "$QUICK" = 1 ]; then
  $PY bench/make_table.py "$RAW" | $PY bench/splice_section.py engine bench/results.md
else
  echo "bench: training-health instruments (instruments = all every 10 updates vs none)"
  overhead=$(BUILD="$BUILD" REPEATS=3 bash bench/instrument_overhead.sh | tail -n 1)
  {
    $PY bench/make_table.py "$RAW"
    printf '\n## Training-health instruments\n\n- MLP 512-256 on MNIST, hpo-worker, 3 alternating runs each: %s\n' "$overhead"
  } | $PY bench/splice_section.py engine bench/results.md
  echo "bench: portable default build vs make NATIVE=1 (bench/portability.sh)"
  bash bench/portability.sh || echo "bench: portability run failed"
fi
echo
cat bench/results.md

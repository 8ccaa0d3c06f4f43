#!/usr/bin/env bash
# One row of `make bench`, alone: hposync's engine-bench and PyTorch's torch_bench.py with
# the same network, batch, optimizer and thread count (1, then 2), in interleaved rounds,
# each line with the load average when it ran. For profiling one row without regenerating
# bench/results.md (bench/profile.md quotes it).
#
#   bash bench/row.sh [ROUNDS]       (default 3; the VGG-16 BN batch-64 SGD row)
#   MODEL=... INPUT=C,H,W BATCH=... OPT=...   another row (bench/configs.txt's columns)
#   MIN_TIME=3 REPS=3 WARMUP=1       timing of each process (median of REPS >= MIN_TIME s)
#   BEFORE_BIN=path/engine-bench     also run another engine-bench (a build before a change)
#   THREADS="1 2"  BUILD=build       thread counts; the build whose engine-bench runs
#   PEAK_PROBE=1                     also an sgemm probe per round and thread count (`engine-bench
#                                    sgemm --size 1024 --reps 5`, as bench/run.sh: gflops_max is the
#                                    divisor of make_table.py's % of peak)
#
# engine-bench's lines carry cpu_ms_per_step (CPU time of all its threads per step) and
# busy_threads (CPU time / wall time): on a shared machine they say more than samples/s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BUILD=${BUILD:-build}
MODEL=${MODEL:-vgg16} INPUT=${INPUT:-3,32,32} BATCH=${BATCH:-64} OPT=${OPT:-sgd}
MIN_TIME=${MIN_TIME:-3} REPS=${REPS:-3} WARMUP=${WARMUP:-1}
make --no-print-directory BUILD="$BUILD" "$BUILD/bench/engine-bench" >/dev/null
export OMP_WAIT_POLICY=${BENCH_OMP_WAIT_POLICY:-passive}   # as bench/run.sh
load() { cut -d' ' -f1 /proc/loadavg; }
for round in $(seq "$ROUNDS"); do
  for T in ${THREADS:-1 2}; do
    export OMP_NUM_THREADS=$T MKL_NUM_THREADS=$T
    if [ -n "${PEAK_PROBE:-}" ]; then
      echo "round=$round side=probe load=$(load) $("$BUILD/bench/engine-bench" sgemm --threads "$T" --size 1024 --reps 5)"
    fi
    args=(train --threads "$T" --model "$MODEL" --input "$INPUT" --batch "$BATCH" --opt "$OPT"
          --min-time "$MIN_TIME" --reps "$REPS" --warmup-steps "$WARMUP")
    if [ -n "${BEFORE_BIN:-}" ]; then
      echo "round=$round side=before load=$(load) $("$BEFORE_BIN" "${args[@]}" | grep '^kind=')"
    fi
    echo "round=$round side=after load=$(load) $("$BUILD/bench/engine-bench" "${args[@]}" | grep '^kind=')"
    echo "round=$round side=pytorch load=$(load) $(tools/py bench/torch_bench.py train "$T" "$MODEL" "$INPUT" \
      "$BATCH" "$OPT" "$MIN_TIME" "$REPS" "$WARMUP" | grep '^kind=')"
  done
done

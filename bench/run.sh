#!/usr/bin/env bash
# `make bench`: hposync's training speed next to PyTorch's and against the machine's
# sgemm limit, and the protocol's overhead. Writes the engine section of bench/results.md and prints the file.
#
#   bash bench/run.sh            (make bench builds everything first, then calls this)
#   BUILD=build-x bash bench/run.sh     use another build directory
#   BENCH_CONFIGS=file           other network list (format: bench/configs.txt)
#   BENCH_OMP_WAIT_POLICY=active spinning OpenMP threads (default passive, for both sides)
#
# Every number in the table is measured in this run. Takes ~10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONFIGS=${BENCH_CONFIGS:-bench/configs.txt}
OUT=$BUILD/bench
RAW=$OUT/raw.txt
mkdir -p "$OUT"

# ---- the peer: PyTorch 2.x from the project environment (make deps-bench, torch group) ----
# Its CPU path (oneDNN, MKL/OpenBLAS) is printed by bench/torch_bench.py beside every row.
PY=tools/py

# ---- the bench programs (against the library `make all` built) -------------------------
CXXFLAGS="-std=c++17 -O3 -march=native -Wall -Wextra -fopenmp -Iinclude"
LIBS="-ldnnl -lboost_program_options -lboost_filesystem -ltbb -lz -lpthread"
for prog in engine protocol; do
  bin=$OUT/$prog-bench
  if [ ! -x "$bin" ] || [ "bench/${prog}_bench.cpp" -nt "$bin" ] || [ "$BUILD/libhposync.a" -nt "$bin" ] || [ -n "$(find include -newer "$bin" -name "*.hpp" | head -1)" ]; then
    echo "bench: compiling $bin"
    g++ $CXXFLAGS "bench/${prog}_bench.cpp" "$BUILD/libhposync.a" -o "$bin" $LIBS
  fi
done

: > "$RAW"
record() { grep '^kind=' | tee -a "$RAW"; }
echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"
# The same OpenMP wait policy for both sides. Passive is what hpo-worker sets for itself
# (co-located workers must not spin on each other's cores); spinning threads also make
# 2-thread timings collapse whenever anything else runs on a 2-core machine.
export OMP_WAIT_POLICY=${BENCH_OMP_WAIT_POLICY:-passive}
echo "omp_wait_policy=$OMP_WAIT_POLICY" >> "$RAW"

# ---- training throughput, 1 and 2 threads ------------------------------------------------
for T in 1 2; do
  export OMP_NUM_THREADS=$T
  echo "bench: $T thread(s): sgemm and networks, hposync"
  "$OUT/engine-bench" sgemm --threads "$T" --size 3072 | record
  grep -v '^\s*#' "$CONFIGS" | grep -v '^\s*$' | while read -r model shape batch opt min_time reps warmup; do
    "$OUT/engine-bench" train --threads "$T" --model "$model" --input "$shape" --batch "$batch" --opt "$opt" \
      --min-time "$min_time" --reps "$reps" --warmup-steps "$warmup" | record
  done
  echo "bench: $T thread(s): sgemm and networks, PyTorch"
  $PY bench/torch_bench.py "$T" "$CONFIGS" | record
done
unset OMP_NUM_THREADS

# ---- protocol overhead ----------------------------------------------------------------------
echo "bench: protocol (real hpo-worker / hpo-master, no-op jobs, local directory)"
"$OUT/protocol-bench" latency --bin "$BUILD/bin" --jobs 100 | record || echo "bench: latency run failed"
"$OUT/protocol-bench" latency --bin "$BUILD/bin" --jobs 30 --poll-ms 100 | record || echo "bench: polling latency run failed"
for W in 1 4 16; do
  "$OUT/protocol-bench" throughput --bin "$BUILD/bin" --workers "$W" --jobs 400 | record || echo "bench: throughput run with $W workers failed"
done

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"

echo "bench: training-health instruments (instruments = all every 10 updates vs none)"
overhead=$(BUILD="$BUILD" REPEATS=3 bash bench/instrument_overhead.sh | tail -n 1)
# This script owns the `engine` section of bench/results.md; bench-scale and
# portability.sh own theirs, so each can be rerun alone without losing the others.
{
  $PY bench/make_table.py "$RAW"
  printf '\n## Training-health instruments\n\n- MLP 512-256 on MNIST, hpo-worker, 3 alternating runs each: %s\n' "$overhead"
} | $PY bench/splice_section.py engine bench/results.md
echo "bench: portable default build vs make NATIVE=1 (bench/portability.sh)"
bash bench/portability.sh || echo "bench: portability run failed"
echo
cat bench/results.md

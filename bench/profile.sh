#!/usr/bin/env bash
# Instruction-count profiles of engine training steps (valgrind's callgrind), for
# bench/profile.md: unlike timings they repeat exactly on a loaded machine.
#
#   bash bench/profile.sh [ENGINE_BENCH]     (default build/bench/engine-bench, made by bench/run.sh)
#
# For each network: 2 warm-up steps (primitives made), then callgrind collects only the
# steps inside profiled_steps(). valgrind has no AVX-512, so oneDNN runs its AVX2 kernels
# here; its JIT kernels show as ??? addresses. Prints instructions per step and the top
# functions; the callgrind files stay in $OUT (default /tmp/hposync-profile).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bench/engine-bench}
OUT=${OUT:-/tmp/hposync-profile}
mkdir -p "$OUT"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
profile() {  # name model input batch opt steps
  local file=$OUT/$1.callgrind
  valgrind --tool=callgrind --toggle-collect='*profiled_steps*' --callgrind-out-file="$file" \
    "$BIN" profile --threads 1 --model "$2" --input "$3" --batch "$4" --opt "$5" --steps "$6" --warmup-steps 2 \
    > /dev/null 2> "$OUT/$1.log"
  local total
  total=$(grep -o 'refs: *[0-9,]*' "$OUT/$1.log" | tr -dc '0-9')
  echo "== $1: $2 batch $4 $5: $((total / $6)) instructions per step ($6 steps)"
  callgrind_annotate "$file" 2>/dev/null | sed -n '/^Ir *file:function/,/^$/p' | sed -n '3,14p' | cut -c1-160
}
profile mlp16 mlp:1024-512-256-128 1,28,28 16 sgd 20
profile mlp256 mlp:1024-512-256-128 1,28,28 256 sgd 4
profile cnn128 cnn:conv16x3-pool2-conv16x3-pool2-fc128 1,28,28 128 momentum 4

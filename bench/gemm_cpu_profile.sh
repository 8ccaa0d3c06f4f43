#!/usr/bin/env bash
# Where a training step's CPU time goes, per gemm shape and per oneDNN primitive
# (bench/profile.md, "MLP batch 16 at one thread"): engine-bench profile under the
# LD_PRELOAD timer bench/gemm_cpu_shim.c, with 200 and with 1200 steps; the difference
# / 1000 is one step without the set-up and warm-up. CPU time of the calling thread, so
# it holds on a loaded machine (cache sharing aside).
#
#   bash bench/gemm_cpu_profile.sh ENGINE_BENCH --model M --input C,H,W --batch B --opt O
set -euo pipefail
bin=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -O2 -Wall -shared -fPIC -o "$dir/shim.so" "$(dirname "$0")/gemm_cpu_shim.c" -ldl
for steps in 200 1200; do
  SHIM_OUT="$dir/$steps.txt" OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive LD_PRELOAD="$dir/shim.so" \
    "$bin" profile --threads 1 "$@" --steps "$steps" --warmup-steps 3 >/dev/null
done
echo "load $(cut -d' ' -f1 /proc/loadavg); us of CPU per step (1000-step difference):"
# Lines match between the runs: the same calls in the same order of first use.
paste -d'|' "$dir/1200.txt" "$dir/200.txt" | awk -F'|' '
  function cpu(s) { sub(/.*(cpu_s|process_cpu_s)=/, "", s); return s + 0 }
  { what = $1; sub(/ *calls=.*/, "", what); sub(/process_cpu_s=.*/, "process (all)", what)
    printf "%-48s %8.1f\n", what, (cpu($1) - cpu($2)) * 1000 }'

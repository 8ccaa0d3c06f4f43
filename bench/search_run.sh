#!/usr/bin/env bash
# `make bench-search`: hposync's search strategies (search-bench, in-process) and
# Optuna 3.1's TPESampler / RandomSampler (bench/search_optuna.py) on the same
# objectives, seeds, batch size and evaluation budget, in the same run; then one table
# (bench/search-results.md) and one plot (bench/search-results.png) by
# bench/search_table.py. Intermediate traces go to $BUILD/bench-search/.
#   BUILD=build SEARCH_SEEDS=20 bash bench/search_run.sh
set -euo pipefail
BUILD=${BUILD:-build}
SEEDS=${SEARCH_SEEDS:-20}
OUT=$BUILD/bench-search
BENCH=$BUILD/bin/search-bench
TAB=bench/tabular/mnist-cnn.csv
mkdir -p "$OUT"
start=$(date +%s)
objectives=(quadratic noisy branin hartmann6 mnist-cnn)
echo "bench-search: ${#objectives[@]} objectives x 10 hposync methods + 2 Optuna samplers x $SEEDS seeds"
# One process per objective and side (Optuna: per sampler too), all at once: on a
# shared machine a single Optuna process gets a small share of the cores and its TPE is
# the slowest part by far. rm first: a trace left by an interrupted run must not count.
rm -f "$OUT"/*.csv
jobs=()
for o in "${objectives[@]}"; do
  jobs+=("timeout 1500 $BENCH run --seeds $SEEDS --tabular $TAB --objectives $o > $OUT/hposync-$o.csv")
  for s in tpe random; do
    jobs+=("timeout 1500 tools/py bench/search_optuna.py $BENCH $SEEDS --tabular $TAB --objectives $o --samplers $s > $OUT/optuna-$s-$o.csv")
  done
done
# A trace cut by its timeout still counts with its complete runs (the table says how many).
printf '%s\n' "${jobs[@]}" | xargs -P "${#jobs[@]}" -I{} bash -c {} || echo "bench-search: some traces were cut by the timeout"
took=$(( $(date +%s) - start ))
echo "bench-search: measured in ${took} s (load $(cut -d' ' -f1 /proc/loadavg))"
tools/py bench/search_table.py "$OUT" "$took" bench/search-results.md bench/search-results.png "$TAB"
echo "bench-search: wrote bench/search-results.md and bench/search-results.png"

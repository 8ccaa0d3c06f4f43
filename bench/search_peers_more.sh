#!/usr/bin/env bash
# More seeds for the peers of `make bench-search`, one process at a time, seed by seed across
# a list of peer runs, so that when the deadline comes every run of the list has about the
# same number of seeds (bench/search_run.sh runs each peer's seeds in one process instead).
#
#   OUT=build/bench-search-peers2 SEARCH_DEADLINE=<unix s> \
#     bash bench/search_peers_more.sh FIRST_SEED LAST_SEED LIST
#
# LIST: a file, one peer run a line, "script sampler objective k" (e.g. "optuna_peers.py gp
# branin 4"; '#' starts a comment). For each seed FIRST..LAST, for each line in order: one
# process (bench/search_one.sh, cut at SEARCH_DEADLINE), its trace lines appended to
# $OUT/<script stem>-<sampler>-<objective>-k<k>.csv (the file names of bench/search_run.sh;
# bench/search_table.py reads $OUT next to the old folder), and one line "seed script sampler
# objective k milliseconds exit-status" to $OUT/times.log. A run cut by the deadline leaves
# an incomplete seed, which search_table.py drops; a seed already in a trace (complete or
# cut) is not run again, so a stopped run can be started again with the same arguments.
# Settings: BUILD (build), SEARCH_EVALS (100), SEARCH_NICE (19), SEARCH_TIMEOUT (seconds per
# process, 3600).
set -euo pipefail
[ $# -eq 3 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
first=$1 last=$2 list=$3
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/bench-search-peers2}
EVALS=${SEARCH_EVALS:-100}
NICE=${SEARCH_NICE:-19}
TIMEOUT=${SEARCH_TIMEOUT:-3600}
BENCH=$BUILD/bin/search-bench
TAB=bench/tabular/mnist-cnn.csv,bench/tabular/mnist-mlp.csv
[ -x "$BENCH" ] || { echo "search_peers_more: $BENCH is missing: make BUILD=$BUILD $BENCH" >&2; exit 2; }
[ -r "$list" ] || { echo "search_peers_more: cannot read the list $list" >&2; exit 2; }
mkdir -p "$OUT/tmp"
export TMPDIR=$PWD/$OUT/tmp
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONWARNINGS=ignore
header="objective,method,k,seed,evals,epochs,epochs_resumed,best"

for seed in $(seq "$first" "$last"); do
  while read -r script sampler objective k _; do
    case "$script" in ''|'#'*) continue ;; esac
    trace=$OUT/${script%.py}-$sampler-$objective-k$k.csv
    [ -s "$trace" ] || echo "$header" > "$trace"
    if grep -q "^$objective,[^,]*,$k,$seed," "$trace"; then
      continue  # this seed is already in the trace, complete or cut (a rerun after an interruption)
    fi
    if [ -n "${SEARCH_DEADLINE:-}" ] && [ "$(date +%s)" -ge "$SEARCH_DEADLINE" ]; then
      echo "search_peers_more: SEARCH_DEADLINE reached before seed $seed of $trace" >&2
      exit 0
    fi
    one=$OUT/tmp/one.csv
    rm -f "$one"
    start=$(date +%s%N)
    status=0
    nice -n "$NICE" bash bench/search_one.sh "$TIMEOUT" \
      "tools/py bench/search_peers/$script $BENCH 1 --first-seed $seed --tabular $TAB --objectives $objective --samplers $sampler --batch $k --evals $EVALS > $one" ||
      status=$?
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    [ -f "$one" ] && { grep -v "^objective," "$one" >> "$trace" || true; }
    echo "$seed $script $sampler $objective $k $took $status" >> "$OUT/times.log"
  done < "$list"
done

#!/usr/bin/env bash
# `make bench-search`: hposync's search strategies (search-bench, in-process) and the peers
# (bench/search_peers/: Optuna 5's samplers, SMAC3's HPO and multi-fidelity facades, DEHB,
# HEBO) on the same objectives, seeds, rounds of k and budgets, in one run; then one
# table (bench/search-results.md) and one plot (bench/search-results.png) by
# bench/search_table.py. Intermediate traces go to $BUILD/bench-search/.
#
#   BUILD=build bash bench/search_run.sh                  # the full run: 20 seeds, k = 1 4 16,
#                                                         # 200 evaluations (hours: a quiet machine)
#   BUILD=build SEARCH_QUICK=1 bash bench/search_run.sh   # the pipeline end to end in minutes:
#                                                         # 2 seeds, k = 4, 50 evaluations, nice 10
# Settings (each overrides the mode's): SEARCH_SEEDS, SEARCH_PEER_SEEDS (default SEARCH_SEEDS), SEARCH_K ("1 4 16"), SEARCH_EVALS,
# SEARCH_JOBS (processes at once, default the cores), SEARCH_NICE, SEARCH_TIMEOUT (seconds
# per process; a cut trace still counts with its complete runs), SEARCH_DEADLINE (Unix
# seconds: every process is cut there, bench/search_one.sh), SEARCH_PEERS (which adapters
# and samplers, "script:sampler,sampler ..."), SEARCH_OBJECTIVES (which objectives, default
# all six: quadratic noisy branin hartmann6 mnist-cnn mnist-mlp), SEARCH_PEER_FIRST_SEED (the
# peers' first seed, default 1000: e.g. 1003 with SEARCH_PEER_SEEDS=17 adds seeds 1003..1019
# to traces of 1000..1002 kept elsewhere; bench/search_table.py takes several trace folders).
set -euo pipefail
BUILD=${BUILD:-build}
if [ -n "${SEARCH_QUICK:-}" ]; then
  SEEDS=${SEARCH_SEEDS:-2} KS=${SEARCH_K:-4} EVALS=${SEARCH_EVALS:-50} NICE=${SEARCH_NICE:-10}
  TIMEOUT=${SEARCH_TIMEOUT:-900} mode="quick run"
else
  SEEDS=${SEARCH_SEEDS:-20} KS=${SEARCH_K:-"1 4 16"} EVALS=${SEARCH_EVALS:-200} NICE=${SEARCH_NICE:-0}
  TIMEOUT=${SEARCH_TIMEOUT:-14400} mode="full run"
fi
# The peers may run fewer seeds than hposync's in-process methods (their Python samplers cost
# far more CPU; the table's column n says how many each method ran).
PEER_SEEDS=${SEARCH_PEER_SEEDS:-$SEEDS}
PEER_FIRST_SEED=${SEARCH_PEER_FIRST_SEED:-1000}
JOBS=${SEARCH_JOBS:-$(nproc)}
PEERS=${SEARCH_PEERS:-"optuna_peers.py:random,tpe,tpe-mv-liar,tpe-v3,gp smac_peers.py:hpo,mf dehb_peer.py:dehb hebo_peer.py:hebo"}
OUT=$BUILD/bench-search
BENCH=$BUILD/bin/search-bench
# The tabular benchmarks (one objective each, named by the file's stem; bench/search_tables.hpp).
TAB=bench/tabular/mnist-cnn.csv,bench/tabular/mnist-mlp.csv
[ -x "$BENCH" ] || { echo "bench-search: $BENCH is missing: make BUILD=$BUILD $BENCH" >&2; exit 2; }
mkdir -p "$OUT/tmp"
# The peers' own files (SMAC's runhistory, DEHB's log) go to a folder per run under here,
# removed when the run ends (bench/search_peers/driver.py).
export TMPDIR=$PWD/$OUT/tmp
# One thread per process: the peers' NumPy / torch would otherwise each take every core.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONWARNINGS=ignore

# The peers evaluate the objectives in Python: first prove they give hposync's values.
nice -n "$NICE" tools/py bench/search_peers/check_objectives.py "$BENCH" --tabular "$TAB"

start=$(date +%s)
objectives=(${SEARCH_OBJECTIVES:-quadratic noisy branin hartmann6 mnist-cnn mnist-mlp})
# rm first: a trace left by an interrupted run must not count.
rm -f "$OUT"/*.csv
jobs=()
for o in "${objectives[@]}"; do
  # hposync's methods whose rounds are their rungs or grid run once; the others per k.
  jobs+=("$BENCH run --seeds $SEEDS --evals $EVALS --tabular $TAB --objectives $o --methods grid,successive-halving,hyperband,hyperband-eta2,bohb,bohb-eta2 > $OUT/hposync-rungs-$o.csv")
  for k in $KS; do
    jobs+=("$BENCH run --seeds $SEEDS --batch $k --evals $EVALS --tabular $TAB --objectives $o --methods random,tpe,tpe-multivariate,tpe-no-liar,gp > $OUT/hposync-$o-k$k.csv")
    for spec in $PEERS; do
      script=${spec%%:*}
      samplers=${spec#*:}
      for one in ${samplers//,/ }; do
        jobs+=("tools/py bench/search_peers/$script $BENCH $PEER_SEEDS --tabular $TAB --objectives $o --samplers $one --batch $k --evals $EVALS --first-seed $PEER_FIRST_SEED > $OUT/${script%.py}-$one-$o-k$k.csv")
      done
    done
  done
done
echo "bench-search ($mode): ${#jobs[@]} processes, $JOBS at once, nice $NICE; $SEEDS seeds, k = $KS, $EVALS evaluations"
# hposync's in-process methods first (minutes), then the slow peers (GP, SMAC, HEBO) so they
# do not finish alone at the end. SEARCH_DEADLINE (Unix seconds) cuts every process there
# (bench/search_one.sh); the table then counts the complete runs.
printf '%s\n' "${jobs[@]}" | awk '{ print (/BENCH|search-bench run/ ? 0 : /-gp-|smac|hebo/ ? 1 : 2) "\t" $0 }' |
  sort -s -k1,1n | cut -f2- |
  xargs -d '\n' -P "$JOBS" -I{} nice -n "$NICE" bash bench/search_one.sh "$TIMEOUT" {} ||
  echo "bench-search: some processes failed or were cut by the timeout (the table counts their complete runs)"
took=$(( $(date +%s) - start ))
echo "bench-search: measured in ${took} s (load $(cut -d' ' -f1 /proc/loadavg))"
if [ -n "${SEARCH_QUICK:-}" ]; then
  how="**This table is from the quick run** (\`SEARCH_QUICK=1 bash bench/search_run.sh\`: $SEEDS seeds, k = $KS, $EVALS evaluations), which checks the pipeline end to end; it is not the issue's measurement. The full table (20 seeds, k = 1, 4, 16, 25-200 evaluations; hours, for a quiet machine) comes from \`make bench-search\`."
else
  how="From \`make bench-search\` ($SEEDS seeds, k = $KS, $EVALS evaluations)."
fi
if [ "$PEER_SEEDS" != "$SEEDS" ]; then
  how="$how Settings of this run: \`SEARCH_SEEDS=$SEEDS SEARCH_PEER_SEEDS=$PEER_SEEDS SEARCH_K=\"$KS\" SEARCH_EVALS=$EVALS SEARCH_NICE=$NICE SEARCH_PEERS=\"$PEERS\"\`: hposync's methods ran $SEEDS seeds, the peers $PEER_SEEDS (seeds $PEER_FIRST_SEED..$((PEER_FIRST_SEED + PEER_SEEDS - 1)); column n), because the peers' Python samplers cost far more CPU than this shared 2-core machine had before the deadline."
fi
tools/py bench/search_table.py "$OUT" "$took" bench/search-results.md bench/search-results.png "$TAB" "$how"
echo "bench-search: wrote bench/search-results.md and bench/search-results.png"

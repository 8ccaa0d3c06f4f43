#!/usr/bin/env bash
# The cost of the training-health instruments (engine/instruments.hpp): the same MLP job
# trained by hpo-worker without instruments and with `instruments = all`,
# `instrument_every = 10`, alternating, REPEATS times each; compares the fastest and
# the median train_seconds the results report (training time only: evaluation is excluded).
#
#   bash bench/instrument_overhead.sh            (after `make all`)
#   BUILD=build-x REPEATS=5 bash bench/instrument_overhead.sh
# Prints one line per run and a summary line "instrument overhead: ...".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REPEATS=${REPEATS:-3}
MODEL=${MODEL:-mlp:512-256}
SUBSET=${SUBSET:-0}      # 0 = the whole training file
EPOCHS=${EPOCHS:-10}
export HPOSYNC_DATA=${HPOSYNC_DATA:-$PWD/data}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

run_one() {  # $1 = label, $2 = extra job lines
  local dir=$WORK/$1-$RANDOM
  mkdir -p "$dir/jobs/pending"
  cat > "$dir/jobs/pending/r000-bench-s0.job" <<JOB
format = hposync-job 1
id = r000-bench-s0
study = instrument-bench
round = 0
config = bench
dataset = mnist
train_subset = $SUBSET
test_subset = 100
model = $MODEL
optimizer = momentum
lr = 0.02
batch_size = 64
epochs = $EPOCHS
seed = 1
$2
JOB
  "$BUILD/bin/hpo-worker" --dir "$dir" --id bench --threads 2 --max-jobs 1 -q
  sed -n 's/^train_seconds = //p' "$dir/results/r000-bench-s0.result"
}

plain=(); watched=()
for i in $(seq "$REPEATS"); do
  p=$(run_one plain "instruments =")
  w=$(run_one watched "instruments = all
instrument_every = 10")
  echo "run $i: without instruments ${p} s, with instruments every 10 updates ${w} s"
  plain+=("$p"); watched+=("$w")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The minimum is the least disturbed run (other processes only ever add time); the
# median is given too. Both must be read on an otherwise idle machine.
mp=$(median "${plain[@]}"); mw=$(median "${watched[@]}")
lp=$(printf '%s\n' "${plain[@]}" | sort -g | head -1); lw=$(printf '%s\n' "${watched[@]}" | sort -g | head -1)
awk -v p="$mp" -v w="$mw" -v lp="$lp" -v lw="$lw" -v m="$MODEL" -v e="$EPOCHS" 'BEGIN {
  printf "instrument overhead (%s, %d epochs of MNIST, batch 64, 2 threads; instruments = all every 10 updates): fastest run %.2f s -> %.2f s (%+.1f%%), median %.2f s -> %.2f s (%+.1f%%)\n", m, e, lp, lw, 100 * (lw / lp - 1), p, w, 100 * (w / p - 1) }'

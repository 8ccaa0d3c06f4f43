#!/usr/bin/env bash
# Protocol replay (`make bench-search-replay`): a tabular benchmark served through the real
# protocol. hpo-master and REPLAY_WORKERS hpo-workers (one thread, niced) on a temporary
# study directory, the workers' trainer trainers/tabular_lookup.py looking every job up in
# the table instead of training; a TPE study (rounds of 4, 13 rounds: 52 evaluations, the
# bench's 50-evaluation setting) and a BOHB study (6 brackets, epochs 1..9, eta 3) on
# mnist-cnn. Training costs nothing here, so what the wall time shows is the protocol's own
# cost: claims, result files, and the rounds (every worker waits while the master sees a
# round's last result and builds the next). Per study it prints the wall time, jobs/s, the
# workers' idle time, the summed gaps between rounds (bench/search_replay_stats.py), and
# checks that the trials (round, configuration, epochs, values), the number of evaluations
# and the best val_error at the largest budget equal those of the same study file run
# in-process (`search-bench replay`): the same study, seed and results must give the same
# search. Exit 1 if one differs.
#
#   BUILD=build bash bench/search_replay.sh
# Settings: REPLAY_TABLE (bench/tabular/mnist-cnn.csv), REPLAY_WORKERS (4), REPLAY_SEED (1000),
# REPLAY_POLL_MS (the master's and workers' poll, 200), REPLAY_NICE (10).
set -euo pipefail
BUILD=${BUILD:-build}
TABLE=${REPLAY_TABLE:-bench/tabular/mnist-cnn.csv}
WORKERS=${REPLAY_WORKERS:-4}
SEED=${REPLAY_SEED:-1000}
POLL=${REPLAY_POLL_MS:-200}
NICE=${REPLAY_NICE:-10}
root=$(pwd)
bin=$root/$BUILD/bin
[ -x "$bin/search-bench" ] || { echo "search_replay: $bin/search-bench is missing: make BUILD=$BUILD $BUILD/bin/search-bench" >&2; exit 2; }
name=$(basename "$TABLE" .csv)
tmp=$(mktemp -d /tmp/hposync-replay.XXXXXX)
workers=()
trap 'kill "${workers[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

space=$("$bin/search-bench" space "$name" --tabular "$TABLE" | grep '^search\.')
epochs=$("$bin/search-bench" space "$name" --tabular "$TABLE" | sed -n 's/^max_budget = //p')
declare -A strategy=(
  [tpe]="strategy = tpe
n_startup = 10
samples = 4
rounds = 13
epochs = $epochs"
  [bohb]="strategy = bohb
brackets = 6
min_budget = 1
max_budget = $epochs
eta = 3"
)

# One study through hpo-master + workers; prints its stats, then the in-process replay's.
run_study() {
  local method=$1 study=$tmp/$1.study dir=$tmp/$1
  printf 'format = hposync-study 1\nname = replay-%s\nseed = %s\nobjective = val_error\ntrainer = tabular\n%s\n%s\n' \
    "$method" "$SEED" "${strategy[$method]}" "$space" > "$study"
  mkdir -p "$dir"
  workers=()
  for w in $(seq 1 "$WORKERS"); do
    nice -n "$NICE" "$bin/hpo-worker" --dir "$dir" --id "w$w" --threads 1 --poll-ms "$POLL" -q \
      --trainer "tabular=$root/trainers/tabular_lookup.py $root/$TABLE" > "$dir.w$w.log" 2>&1 &
    workers+=($!)
  done
  local start end
  start=$(date +%s.%N)
  nice -n "$NICE" timeout 900 "$bin/hpo-master" --dir "$dir" --study "$study" --poll-ms "$POLL" -q > "$dir.master.log" 2>&1 ||
    { cat "$dir.master.log" >&2; echo "search_replay: hpo-master failed ($method)" >&2; exit 1; }
  end=$(date +%s.%N)
  kill -TERM "${workers[@]}" 2>/dev/null || true
  wait "${workers[@]}" 2>/dev/null || true
  workers=()
  local wall
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  echo "wall_s = $wall"
  "$root/tools/py" bench/search_replay_stats.py "$dir" "$WORKERS" "$wall"
  "$bin/search-bench" replay "$study" --tabular "$TABLE" | sed 's/^/in_process_/'
}

status=0
echo "search_replay: $name ($TABLE), $WORKERS workers, poll $POLL ms, seed $SEED, nice $NICE"
for method in tpe bohb; do
  out=$(run_study "$method")
  get() { sed -n "s/^$1 = //p" <<< "$out"; }
  same=$(awk -v a="$(get best)" -v b="$(get in_process_best)" -v e="$(get evals)" -v f="$(get in_process_evals)" \
    'BEGIN { print (a + 0 == b + 0 && e == f) ? "same" : "DIFFERS" }')
  # The same trials (round, configuration, epochs, values), not only the same best.
  if [ "$(get trial | sort)" != "$(get in_process_trial | sort)" ] || [ -z "$(get trial)" ]; then
    same="DIFFERS (trials)"
    diff <(get trial | sort) <(get in_process_trial | sort) | head -5 >&2 || true
  fi
  [ "$same" = same ] || status=1
  printf '%-5s wall %6s s  jobs %4s  jobs/s %6s  rounds %3s  idle %7s worker-s (busy %7s)  round gaps %6s s (mean %s)  best %s at %s epochs, in-process %s over %s evaluations: %s\n' \
    "$method" "$(get wall_s)" "$(get jobs)" "$(get jobs_per_s)" "$(get rounds)" "$(get idle_s)" "$(get busy_s)" \
    "$(get round_gap_s)" "$(get round_gap_mean_s)" "$(get best)" "$(get max_epochs)" "$(get in_process_best)" \
    "$(get in_process_evals)" "$same"
done
exit $status

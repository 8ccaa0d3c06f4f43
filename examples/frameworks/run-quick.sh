#!/usr/bin/env bash
# The quick framework study through a real hpo-master and three hpo-workers, each with the
# torch and sklearn trainers (and the built-in one), then the comparison table.
#   bash examples/frameworks/run-quick.sh [DIR]      (default /tmp/hposync-frameworks-quick)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-/tmp/hposync-frameworks-quick}
BIN=${HPOSYNC_BIN:-build/bin}
bash trainers/install-deps.sh
rm -rf "$D"
pids=()
for w in 1 2 3; do
  timeout 3600 "$BIN/hpo-worker" --dir "$D" --id "fw-$w" --threads 1 --poll-ms 200 --idle-exit 30 --quiet --trainer-grace 9 \
    --trainer torch=trainers/torch_trainer.py --trainer sklearn=trainers/sklearn_trainer.py &
  pids+=($!)
done
timeout 3600 "$BIN/hpo-master" --dir "$D" --study examples/frameworks-quick.study --lease-timeout 300 --quiet
for p in "${pids[@]}"; do wait "$p"; done
python3 examples/frameworks/compare.py "$D" --csv "$D/frameworks.csv"

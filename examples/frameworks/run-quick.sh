#!/usr/bin/env bash
# The quick framework study through a real hpo-master and four hpo-workers, each with the
# torch, sklearn and keras trainers (and the built-in one), then the comparison table.
# Python runs in the project's environment (tools/py; make deps-torch builds it).
#   bash examples/frameworks/run-quick.sh [DIR]      (default /tmp/hposync-frameworks-quick)
#   STUDY=examples/frameworks.study bash examples/frameworks/run-quick.sh DIR   (the full study)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-/tmp/hposync-frameworks-quick}
BIN=${HPOSYNC_BIN:-build/bin}
STUDY=${STUDY:-examples/frameworks-quick.study}
KERAS_BACKEND=jax tools/py -c "import torch, sklearn, jax, keras" ||
  { echo "run-quick.sh: the project environment lacks a framework: run make deps-torch" >&2; exit 1; }
rm -rf "$D"
pids=()
for w in 1 2 3 4; do
  timeout 3600 "$BIN/hpo-worker" --dir "$D" --id "fw-$w" --threads 1 --poll-ms 200 --idle-exit 30 --quiet --trainer-grace 9 \
    --trainer torch=trainers/torch_trainer.py --trainer sklearn=trainers/sklearn_trainer.py \
    --trainer keras=trainers/keras_trainer.py &
  pids+=($!)
done
timeout 3600 "$BIN/hpo-master" --dir "$D" --study "$STUDY" --lease-timeout 300 --quiet
for p in "${pids[@]}"; do wait "$p"; done
tools/py examples/frameworks/compare.py "$D" --csv "$D/frameworks.csv"

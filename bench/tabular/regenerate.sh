#!/usr/bin/env bash
# Recomputes bench/tabular/mnist-cnn.csv: the grid study mnist-cnn-grid.study run by
# hposync itself (hpo-master + two hpo-workers, niced, one thread each), then the result files
# turned into one CSV row per configuration (bench/tabular/to_csv.py). The study
# directory is a temporary folder; nothing else is written.
#   bash bench/tabular/regenerate.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/build}/bin"
dir="$(mktemp -d /tmp/hposync-tabular.XXXXXX)"
workers=()
trap 'kill "${workers[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
start=$(date +%s)
for w in 1 2; do
  nice -n 10 timeout 3000 "$bin/hpo-worker" --dir "$dir" --id "tab$w" --threads 1 --idle-exit 30 -q &
  workers+=($!)
done
nice -n 10 timeout 3000 "$bin/hpo-master" --dir "$dir" --study "$here/mnist-cnn-grid.study" --poll-ms 200 -q
wait "${workers[@]}" || true
took=$(( $(date +%s) - start ))
tools/py "$here/to_csv.py" "$dir" "$took" > "$here/mnist-cnn.csv.tmp"
mv "$here/mnist-cnn.csv.tmp" "$here/mnist-cnn.csv"
echo "bench/tabular/mnist-cnn.csv: $(($(wc -l < "$here/mnist-cnn.csv") - 2)) configurations in ${took} s"

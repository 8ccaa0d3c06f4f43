#!/usr/bin/env bash
# Recomputes a tabular benchmark, bench/tabular/NAME.csv (mnist-cnn: the grid study
# mnist-cnn-grid.study; mnist-mlp: the sampled study mnist-mlp.study), run by hposync
# itself (hpo-master + two hpo-workers, niced, one thread each), then the result files
# turned into one CSV row per configuration (bench/tabular/to_csv.py). The study
# directory is a temporary folder; nothing else is written.
#   bash bench/tabular/regenerate.sh [NAME [BUILD_DIR]]      (NAME: mnist-cnn by default)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
name="${1:-mnist-cnn}"
bin="${2:-$root/build}/bin"
study="$here/$name.study"
[ -f "$study" ] || study="$here/$name-grid.study"
[ -f "$study" ] || { echo "regenerate.sh: no study $here/$name.study or $here/$name-grid.study" >&2; exit 2; }
dir="$(mktemp -d /tmp/hposync-tabular.XXXXXX)"
workers=()
trap 'kill "${workers[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
start=$(date +%s)
for w in 1 2; do
  nice -n 10 timeout 3000 "$bin/hpo-worker" --dir "$dir" --id "tab$w" --threads 1 --idle-exit 30 -q &
  workers+=($!)
done
nice -n 10 timeout 3000 "$bin/hpo-master" --dir "$dir" --study "$study" --poll-ms 200 -q
wait "${workers[@]}" || true
took=$(( $(date +%s) - start ))
"$root/tools/py" "$here/to_csv.py" "$dir" "$took" "$study" > "$here/$name.csv.tmp"
mv "$here/$name.csv.tmp" "$here/$name.csv"
echo "bench/tabular/$name.csv: $(grep -c '^[^#]' "$here/$name.csv") lines (header + configurations) in ${took} s"

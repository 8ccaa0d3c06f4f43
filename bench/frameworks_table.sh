#!/usr/bin/env bash
# The frameworks table (issue 34, "Show"): runs the frameworks study once through a real
# hpo-master and four hpo-workers (examples/frameworks/run-quick.sh: engine, PyTorch,
# scikit-learn and Keras), then writes bench/frameworks-results.md from its results:
# framework x optimizer x batch x lr: updates, setup s, training s, final loss, overrun.
#   bash bench/frameworks_table.sh            the quick study (64 runs of 3 s; minutes)
#   bash bench/frameworks_table.sh --full     examples/frameworks.study (64 runs of 600 s: hours)
# `make bench-frameworks` runs the quick one (FULL=1 for the full one). The machine is
# named in the table (lscpu model, cores, load average before and after).
set -euo pipefail
cd "$(dirname "$0")/.."
study=examples/frameworks-quick.study
[ "${1:-}" = "--full" ] && study=examples/frameworks.study
D=${FRAMEWORKS_DIR:-/tmp/hposync-bench-frameworks}
OUT=${FRAMEWORKS_OUT:-bench/frameworks-results.md}
machine=$(mktemp)
trap 'rm -f "$machine"' EXIT
{
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "workers: 4 hpo-worker processes, --threads 1 each, on this machine"
} >"$machine"
start=$(date +%s)
STUDY=$study bash examples/frameworks/run-quick.sh "$D" >/dev/null
{
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "whole study: $(( $(date +%s) - start )) s wall (master, 4 workers, report-free)"
} >>"$machine"
tools/py bench/frameworks_table.py "$D" "$study" "$machine" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "bench/frameworks_table.sh: wrote $OUT from $D"

#!/usr/bin/env bash
# `make demo`: the main job. A small real study — a master and two workers, each its own
# process, cooperating through a study directory — on real MNIST digits, then the report.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${HPOSYNC_BIN:-build/bin}
DIR=${DEMO_DIR:-demo}
STUDY=${DEMO_STUDY:-examples/demo.study}
export HPOSYNC_DATA=${HPOSYNC_DATA:-$PWD/data}

# The demo folder is recreated on each run, but only a folder the demo made itself (it
# holds the marker below) is ever removed: DEMO_DIR=~/thesis must not delete a thesis.
MARK=.hposync-demo-folder
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -f "$DIR/$MARK" ]; then
  echo "demo: $DIR exists and was not made by make demo (no $MARK in it); not touching it." >&2
  echo "demo: choose another DEMO_DIR, or remove it yourself." >&2
  exit 2
fi
rm -rf "$DIR"
mkdir -p "$DIR"
touch "$DIR/$MARK"
case "$DIR" in /*) ABS_DIR=$DIR ;; *) ABS_DIR=$PWD/$DIR ;; esac
echo "demo: study $STUDY in $DIR/ (master + 2 workers, 1 thread each)"
start=$(date +%s)
"$BIN/hpo-worker" --dir "$DIR" --id worker-1 --threads 1 > "$DIR/worker-1.log" 2>&1 &
w1=$!
"$BIN/hpo-worker" --dir "$DIR" --id worker-2 --threads 1 > "$DIR/worker-2.log" 2>&1 &
w2=$!
stop_workers() { kill -TERM "$w1" "$w2" 2>/dev/null || true; wait "$w1" "$w2" 2>/dev/null || true; }
trap stop_workers EXIT
"$BIN/hpo-master" --dir "$DIR" --study "$STUDY"
stop_workers
trap - EXIT
echo "demo: study finished in $(( $(date +%s) - start )) s; worker logs in $DIR/worker-*.log"
"$BIN/hpo-master" status --dir "$DIR"
"$BIN/hpo-report" --dir "$DIR" --out "$DIR/report"
echo "demo: report at $ABS_DIR/report/index.html"

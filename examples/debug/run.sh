#!/usr/bin/env bash
# Trains the planted-fault jobs with two workers and writes the report.
#   bash examples/debug/run.sh [study dir, default runs/debug]   (after `make all`)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
DIR=${1:-runs/debug}
rm -rf "$DIR"
mkdir -p "$DIR/jobs/pending"
cp examples/debug/jobs/*.job "$DIR/jobs/pending/"
"$BUILD/bin/hpo-worker" --dir "$DIR" --id w1 --threads 1 --idle-exit 1 -q &
"$BUILD/bin/hpo-worker" --dir "$DIR" --id w2 --threads 1 --idle-exit 1 -q
wait
"$BUILD/bin/hpo-report" --dir "$DIR"
echo
cat "$DIR/report/diagnosis.txt"

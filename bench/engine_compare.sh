#!/usr/bin/env bash
# Engine speed of two builds side by side: the current tree's library against a git
# revision's, with the same bench program (bench/engine_bench.cpp) and the same network
# list (bench/configs.txt), in interleaved rounds so that a change of the machine's load
# hits both columns alike. For refactorings that must not cost speed.
#
#   bash bench/engine_compare.sh REV [ROUNDS]     (default 3 rounds; ~8 min on 2 cores)
#   BEFORE_BIN=path/engine-bench bash bench/engine_compare.sh REV    reuse a build of REV
#
# The revision is built in a temporary git worktree (its own `make` flags, its own
# libhposync.a and engine-bench); nothing outside build/ and that worktree is written.
# Both engine-bench programs come from the Makefile (no compiler flags here). Prints one
# markdown table: samples/s, median (min-max) over the rounds, before / after and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: engine_compare.sh REV [ROUNDS]}
ROUNDS=${2:-3}
BUILD=${BUILD:-build}
OUT=$BUILD/bench-compare
mkdir -p "$OUT"

if [ -n "${BEFORE_BIN:-}" ]; then   # an engine-bench already built from REV
  cp "$BEFORE_BIN" "$OUT/engine-bench-before"
else
  tree=$(mktemp -d /tmp/hposync-before.XXXXXX)
  trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
  git worktree add --detach "$tree" "$REV" >/dev/null
  echo "engine_compare: building $REV in $tree" >&2
  # The bench program with the Makefile's target; a revision older than that target gets
  # it from the current Makefile, run over the revision's sources.
  makefile=Makefile
  make -C "$tree" -n BUILD=build build/bench/engine-bench >/dev/null 2>&1 || makefile=$PWD/Makefile
  make -C "$tree" -f "$makefile" -j2 BUILD=build build/bench/engine-bench >/dev/null
  cp "$tree/build/bench/engine-bench" "$OUT/engine-bench-before"
fi
echo "engine_compare: building the current tree" >&2
make -j2 BUILD="$BUILD" "$BUILD/bench/engine-bench" >/dev/null
cp "$BUILD/bench/engine-bench" "$OUT/engine-bench-after"

export OMP_WAIT_POLICY=passive
raw=$OUT/raw.txt
: > "$raw"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for T in 1 2; do
    export OMP_NUM_THREADS=$T
    grep -v '^\s*#' bench/configs.txt | grep -v '^\s*$' | while read -r model shape batch opt min_time reps warmup; do
      for side in before after; do
        r=$("$OUT/engine-bench-$side" train --threads "$T" --model "$model" --input "$shape" --batch "$batch" \
              --opt "$opt" --min-time "$min_time" --reps "$reps" --warmup-steps "$warmup" | grep '^kind=')
        v=$(tr ' ' '\n' <<<"$r" | sed -n 's/^samples_per_s=//p')
        echo "$model|$batch|$opt|$T|$side|$v" | tee -a "$raw" >&2
      done
    done
  done
done
echo "| config | threads | before (samples/s) | after (samples/s) | after / before |"
echo "|---|---|---|---|---|"
tools/py - "$raw" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    model, batch, opt, t, side, v = line.strip().split("|")
    rows.setdefault((model, batch, opt, t), {}).setdefault(side, []).append(float(v))
def cell(xs):
    return f"{statistics.median(xs):.0f} ({min(xs):.0f}-{max(xs):.0f})"
for (model, batch, opt, t), s in rows.items():
    b, a = s["before"], s["after"]
    print(f"| {model}, {opt}, batch {batch} | {t} | {cell(b)} | {cell(a)} | {statistics.median(a) / statistics.median(b):.2f} |")
PY
echo
echo "Load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg). Revision $REV vs $(git rev-parse --short HEAD) plus the working tree; $ROUNDS interleaved rounds."

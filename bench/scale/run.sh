#!/usr/bin/env bash
# `make bench-scale` (also part of `make bench`): hposync's cost from 1,000 to 100,000 jobs
# and up to 128 workers, beside Optuna 5's JournalFileBackend (and Optuna 3.1's JournalFileStorage,
# the older row, from .venv-optuna3) doing the same no-op work
# with the same number of processes, on the same disk, in the same run. Writes its own
# section of bench/results.md (between the scale markers) and prints it.
#
#   bash bench/scale/run.sh                 (make bench-scale builds the binaries first)
#   SCALE_DIR=/path      study directories there (default /tmp: the local disk)
#   SCALE_MAX_SECONDS=T  stop a big run (20,000 or more jobs or trials) after T s and
#                        report the rate so far, marked "partial" (default 90; 0 = run to
#                        the end: hours for Optuna on a busy disk)
#   SCALE_LATENCY_DIR=/path  where the 100,000-pending latency runs live (default
#                        /dev/shm: filling 100,000 job files on the shared local disk took
#                        over 5 minutes when other sessions were fsyncing)
#   SCALE_QUICK=1        small sizes only (a smoke test of the harness, ~1 minute)
#
# Took 23 minutes on the shared 2-core machine at load ~20 (5 of them rebuilding `all`;
# removing the big study directories from ext4 adds minutes). Every figure in the
# section is measured in this run.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
DIR=${SCALE_DIR:-/tmp}
MAXS=${SCALE_MAX_SECONDS:-90}
LDIR=${SCALE_LATENCY_DIR:-/dev/shm}
OUT=$BUILD/bench
RAW=$OUT/scale-raw.txt
mkdir -p "$OUT"
export HPOSYNC_BIN=$(cd "$BUILD/bin" && pwd)

# ---- the peer: Optuna from the project environment (make deps-bench, bench group) ------------
PY=tools/py

# ---- the bench program (against the library `make all` built) -------------------------------
BIN=$OUT/scale-bench
# Built by the Makefile with its flags (target $BUILD/bin/scale-bench); copied beside the raw data.
make --no-print-directory BUILD="$BUILD" "$BUILD/bin/scale-bench"
cp "$BUILD/bin/scale-bench" "$BIN"

: > "$RAW"
record() { grep '^kind=' | tee -a "$RAW" || true; }
echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"
echo "disk=$(df -T "$DIR" | awk 'NR==2 {print $2}') dir=$DIR max_seconds=$MAXS latency_dir=$LDIR latency_disk=$(df -T "$LDIR" | awk 'NR==2 {print $2}')" >> "$RAW"

if [ "${SCALE_QUICK:-0}" = 1 ]; then SIZES="1000 5000"; PEER_SIZES="1000"; U_JOBS=256; PEND=20000; else
  # 128 workers: 10 jobs each, where the last jobs' tail (a worker that got an 11th one
  # sets the end) bounds utilisation near 10/11; and 30 each, closer to a long-lived
  # cluster's steady state.
  SIZES="1000 20000 100000"; PEER_SIZES="1000 20000 100000"; U_JOBS="1280 3840"; PEND=100000; fi
limit() { if [ "$1" -ge 20000 ] && [ "$MAXS" != 0 ]; then echo "$MAXS"; else echo 0; fi; }

for W in 4 16; do
  for N in $SIZES; do
    echo "bench-scale: hposync, $W workers, $N no-op jobs"
    timeout 1800 "$BIN" throughput --jobs "$N" --workers "$W" --dir "$DIR" --max-seconds "$(limit "$N")" | record
  done
  for N in $PEER_SIZES; do
    for V in "$PWD/.venv" "$PWD/.venv-optuna3"; do
      echo "bench-scale: Optuna's journal file ($(basename "$V")), $W processes, $N no-op trials"
      HPOSYNC_VENV=$V timeout 1800 $PY bench/scale/optuna_peer.py --trials "$N" --workers "$W" --dir "$DIR" \
        --max-seconds "$(limit "$N")" | record
    done
  done
done

for U in $U_JOBS; do
  echo "bench-scale: 128 workers, $U jobs of 1 s"
  timeout 900 "$BIN" throughput --jobs "$U" --workers 128 --sleep-s 1 --dir "$DIR" | record
done
for P in 0 100; do
  echo "bench-scale: claim latency at $PEND pending (poll_ms=$P; 0 = inotify)"
  timeout 900 "$BIN" latency --pending "$PEND" --samples 200 --poll-ms "$P" --dir "$LDIR" | record
done
R_N=100000; [ "${SCALE_QUICK:-0}" = 1 ] && R_N=5000
echo "bench-scale: hpo-master status and hpo-report at $R_N results"
timeout 1200 bash bench/scale/readers.sh "$R_N" "$DIR" | record
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"

$PY bench/scale/make_table.py "$RAW" bench/results.md
sed -n '/<!-- scale:begin -->/,/<!-- scale:end -->/p' bench/results.md

#!/usr/bin/env bash
# Metadata operations per job of hpo-master and hpo-worker (docs/SCALE.md): one worker and
# the master run a random study of N no-op jobs under `strace -f -c`; the syscall counts
# are divided by N. Includes start-up and the final listings (small against N = 200).
#
#   bash bench/scale/count_ops.sh [N] [DIR]      (default 200 jobs under /tmp)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200}
BASE=${2:-/tmp}
BIN=${BUILD:-build}/bin
command -v strace >/dev/null || { echo "count_ops: strace is not installed (apt-get install strace)" >&2; exit 1; }
T=$(mktemp -d "$BASE/hposync-ops-XXXXXX")
trap 'rm -rf "$T"' EXIT
printf 'format = hposync-study 1\nname = ops\nstrategy = random\nseed = 3\nsamples = %s\nmodel = synthetic:noop\nepochs = 1\nrecord_updates = false\nsearch.lr = loguniform(0.001, 0.1)\n' "$N" > "$T/s.study"
mkdir -p "$T/d"
timeout 600 strace -f -c -o "$T/worker.txt" "$BIN/hpo-worker" --dir "$T/d" --id w0 --threads 1 -q --idle-exit 3 &
wpid=$!
sleep 1
timeout 600 strace -f -c -o "$T/master.txt" "$BIN/hpo-master" --dir "$T/d" --study "$T/s.study" --poll-ms 50 -q >/dev/null
wait "$wpid"
for who in master worker; do
  awk -v n="$N" -v who="$who" '
    $NF ~ /^(openat|open|close|read|write|fsync|fdatasync|rename|renameat|renameat2|link|linkat|unlink|unlinkat|newfstatat|stat|lstat|fstat|statx|getdents64|mkdir|inotify_add_watch|poll)$/ {
      calls = $4; errs = (NF == 6) ? $5 : 0
      printf "%s %s %.2f per job (%d calls, %d failed)\n", who, $NF, calls / n, calls, errs }' "$T/$who.txt"
done

#!/usr/bin/env bash
# `hpo-master status` and `hpo-report` on a study of N results (default 100,000): a small
# real study (hpo-master + one hpo-worker, synthetic:quadratic, 40 jobs with curves) is
# grown to N results by bench/scale/fake_results.py, then each reader is timed on it.
# Prints one line: kind=readers results=N status_s=... report_s=... report_rss_mb=...
# report_cpu_s (user + system of hpo-report and its gnuplot children) and load_1m (the
# 1-minute load average before and after the report: the machine may be shared).
# HPOSYNC_REPORT_TIMINGS=1 also prints hpo-report --timings (its time per stage) to stderr.
#   bash bench/scale/readers.sh [N] [DIR]        (DIR: where the study goes; default /tmp)
# HPOSYNC_READERS_KEEP=1 keeps the grown study (its folder is printed to stderr) so that two
# builds of hpo-report can be timed on the same one; delete it when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
BASE=${2:-/tmp}
BIN=${HPOSYNC_BIN:-build/bin}
work=$(mktemp -d "$BASE/hposync-readers.XXXXXX")
if [ "${HPOSYNC_READERS_KEEP:-0}" = 1 ]; then
    trap 'echo "readers.sh: kept $work (study: $work/study)" >&2' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
cat > "$work/template.study" <<'STUDY'
format = hposync-study 1
name = readers
strategy = random
seed = 3
samples = 40
objective = val_error
model = synthetic:quadratic
epochs = 9
search.lr = loguniform(0.0001, 0.5)
search.momentum = uniform(0, 1)
search.batch_size = log2int(3, 9)
STUDY
"$BIN/hpo-worker" --dir "$work/template" --id w1 --idle-exit 5 -q &
worker=$!
"$BIN/hpo-master" --dir "$work/template" --study "$work/template.study" --poll-ms 50 -q
wait "$worker" || true
tools/py bench/scale/fake_results.py "$work/template" "$work/study" "$N"
sync
t0=$(date +%s.%N)
"$BIN/hpo-master" status --dir "$work/study" > "$work/status.txt"
t1=$(date +%s.%N)
load_before=$(cut -d' ' -f1 /proc/loadavg)
timings=()
[ "${HPOSYNC_REPORT_TIMINGS:-0}" = 1 ] && timings=(--timings)
/usr/bin/time -f "%M %U %S" -o "$work/rss.txt" "$BIN/hpo-report" --dir "$work/study" --out "$work/report" "${timings[@]}" > "$work/report.txt" 2>&1
t2=$(date +%s.%N)
load_after=$(cut -d' ' -f1 /proc/loadavg)
[ "${HPOSYNC_REPORT_TIMINGS:-0}" = 1 ] && grep -o "hpo-report: timing:.*" "$work/report.txt" >&2
read -r rss_kb user_s sys_s < "$work/rss.txt"
rows=$(grep -c "^<tr" "$work/report/index.html" || true)
files=$(find "$work/report" -type f | wc -l)
size_mb=$(du -sm "$work/report" | cut -f1)
echo "kind=readers results=$N status_s=$(echo "$t1 - $t0" | bc) report_s=$(echo "$t2 - $t1" | bc) report_rss_mb=$(( rss_kb / 1024 )) report_cpu_s=$(echo "$user_s + $sys_s" | bc) report_files=$files report_mb=$size_mb index_rows=$rows load_1m=$load_before-$load_after"

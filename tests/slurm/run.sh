#!/usr/bin/env bash
# `make test-slurm`: a real one-node Slurm cluster (slurm-wlm + munge) started from a temp
# dir, a study whose workers are an `hpo-slurm --workers 2` job array, and a preemption:
# one running array task gets `scancel --signal=USR1 --batch` mid-job; its job must go back
# to pending with a checkpoint and be finished by the other task, resumed (segments > 1).
#
# Runs as root (CI: fresh Debian 12, no systemd). Installs slurm-wlm and munge if missing.
# Touches nothing outside its temp dir: every path of every daemon is in there.
# Environment: HPOSYNC_BIN (default build/bin), HPOSYNC_DATA (default data),
# KEEP=1 keeps the temp dir (it is always kept when the test fails).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${HPOSYNC_BIN:-$REPO/build/bin}" && pwd)
export HPOSYNC_DATA=$(cd "${HPOSYNC_DATA:-$REPO/data}" && pwd)
source "$REPO/tests/slurm/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root: it installs slurm-wlm/munge and runs the Slurm daemons as root (CI does)"
for b in hpo-master hpo-worker hpo-slurm; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make all) or set HPOSYNC_BIN"
done
[ -f "$HPOSYNC_DATA/mnist/train-images-idx3-ubyte" ] || [ -f "$HPOSYNC_DATA/mnist/train-images-idx3-ubyte.gz" ] ||
    die "MNIST is missing in $HPOSYNC_DATA/mnist: run make data"
install_slurm_if_missing

T=$(mktemp -d /tmp/hposync-slurm.XXXXXX)
chmod 755 "$T"
trap 'on_exit $?' EXIT
start_cluster "$T"

# ---- the study --------------------------------------------------------------------------
# 6 real trainings of a small MLP on 500 MNIST digits, 250 short epochs each, with a
# checkpoint after every epoch, so a signal mid-job has one to resume from. Measured here:
# an epoch is ~5 ms of training plus 1-25 ms of checkpoint writing (fsync), 1-7 s a job.
# (Not a time budget: checkpoints are not training time, so a budget run takes far longer.)
S=$T/study
mkdir -p "$S"
cat >"$T/slurm-test.study" <<'EOF'
format = hposync-study 1
name = slurm-test
strategy = grid
seed = 5
repeats = 2
dataset = mnist
train_subset = 500
model = mlp:64
optimizer = momentum
batch_size = 4
epochs = 250
record_updates = false
checkpoint_every_epochs = 1
search.lr = 0.003, 0.01, 0.03
EOF

say "master: hpo-master --dir $S (local process)"
"$BIN/hpo-master" --dir "$S" --study "$T/slurm-test.study" --poll-ms 200 --lease-timeout 60 >"$T/log/master.out" 2>&1 &
MASTER_PID=$!
wait_for 20 "the master's first round manifest" test -f "$S/rounds/r000.round" || fail_with_logs "the master wrote no round manifest"

ARRAY=$("$BIN/hpo-slurm" --dir "$S" --workers 2 --cpus-per-task 1 --time 10 --idle-exit 15 2>"$T/log/hpo-slurm.err") ||
    { cat "$T/log/hpo-slurm.err" >&2; fail_with_logs "hpo-slurm could not submit the worker array"; }
say "workers: hpo-slurm --workers 2 submitted array job $ARRAY ($S/slurm/workers.sbatch)"

# ---- signal one running task mid-job -------------------------------------------------------
# Only a RUNNING task may be signalled (a pending one makes scancel retry and then signal
# the whole array), and only once its job has a checkpoint, so the resume is real.
VICTIM="" VICTIM_JOB=""
find_victim() {
    local task wfile job
    for task in $(squeue -h -r -j "$ARRAY" -t R -o %i 2>/dev/null); do
        wfile="$S/workers/slurm-$task.worker"
        [ -f "$wfile" ] || continue
        job=$(kv_get "$wfile" job)
        [ -n "$job" ] && [ -f "$S/checkpoints/$job.ckpt" ] && [ ! -f "$S/results/$job.result" ] || continue
        VICTIM=$task VICTIM_JOB=$job
        return 0
    done
    return 1
}
wait_for 60 "a RUNNING array task holding a job with a checkpoint" find_victim ||
    fail_with_logs "no array task of $ARRAY was running a job with a checkpoint within 60 s"
say "signal: scancel --signal=USR1 --batch $VICTIM (it trains $VICTIM_JOB)"
scancel --signal=USR1 --batch "$VICTIM"
wait_for 30 "task $VICTIM to hand $VICTIM_JOB back and exit" task_gone "$VICTIM" ||
    fail_with_logs "task $VICTIM did not exit within 30 s of USR1"

wait_for 240 "the master to finish the study" master_gone ||
    fail_with_logs "the study did not finish within 240 s"
wait "$MASTER_PID" || fail_with_logs "hpo-master exited with status $?"
MASTER_PID=""

# ---- count, from the files -------------------------------------------------------------------
LOGS=("$S"/slurm/worker-*.out)
ids=$(cat "$S"/rounds/*.round | sed -n 's/^job\.[0-9]* = //p')
[ -n "$ids" ] || ids=$(cd "$S/jobs/done" && ls | sed -n 's/\.job$//p')
total=0 finished=0 via_slurm=0 resumed=0 lost=0 twice=0
for id in $ids; do
    total=$((total + 1))
    r="$S/results/$id.result"
    if [ ! -f "$r" ]; then lost=$((lost + 1)); echo "LOST: $id has no result" >&2; continue; fi
    [ "$(kv_get "$r" status)" = ok ] && finished=$((finished + 1))
    case "$(kv_get "$r" worker)" in slurm-"${ARRAY}"_*) via_slurm=$((via_slurm + 1)) ;; esac
    [ "$(kv_get "$r" segments)" -gt 1 ] && resumed=$((resumed + 1))
    # Every completed run writes its own curves CSV (unique token): more than one = run twice.
    n=$(ls "$S/results" | grep -c "^$id\..*\.curves\.csv$" || true)
    [ "$n" -gt 1 ] && { twice=$((twice + 1)); echo "RUN TWICE: $id ($n curves files)" >&2; }
done
handed_back=$(cat "${LOGS[@]}" | grep -c ": interrupted, handed back" || true)
left=$(ls "$S/jobs/pending" "$S/jobs/running" "$S/jobs/failed" "$S/jobs/quarantine" 2>/dev/null | grep -c '\.job' || true)

say "jobs submitted through Slurm: $via_slurm of $total"
say "jobs finished: $finished"
say "jobs handed back on signal: $handed_back"
say "jobs resumed from a checkpoint: $resumed"
say "lost: $lost"
say "run twice: $twice"

# The job the signalled task handed back, from its own log (normally $VICTIM_JOB; another
# one only if that job ended in the few ms between our look and the signal).
vlog="$S/slurm/worker-${VICTIM}.out"
handed=$(sed -n 's/^hpo-worker [^ ]*: \([^ ]*\): interrupted, handed back (checkpoint kept)$/\1/p' "$vlog" 2>/dev/null | head -n 1)
problems=()
[ "$total" -ge 6 ] || problems+=("only $total jobs in the round manifests (expected 6)")
[ "$finished" = "$total" ] || problems+=("$finished of $total jobs finished with status ok")
[ "$via_slurm" = "$total" ] || problems+=("$via_slurm of $total results come from workers of array $ARRAY")
[ "$lost" = 0 ] || problems+=("$lost jobs lost")
[ "$twice" = 0 ] || problems+=("$twice jobs run twice")
[ "$left" = 0 ] || problems+=("$left job files left in pending/running/failed/quarantine")
[ "$handed_back" -ge 1 ] || problems+=("no worker log says a job was handed back on the signal")
if [ -z "$handed" ]; then
    problems+=("$vlog does not say the signalled task handed a job back with a checkpoint (was $VICTIM_JOB already finished when USR1 came?)")
else
    hr="$S/results/$handed.result"
    if [ -f "$hr" ]; then
        [ "$(kv_get "$hr" worker)" != "slurm-$VICTIM" ] || problems+=("$handed was finished by the signalled task itself")
        [ "$(kv_get "$hr" segments)" -gt 1 ] || problems+=("$handed has segments = $(kv_get "$hr" segments): not resumed")
        say "signalled job $handed: handed back by slurm-$VICTIM, finished by $(kv_get "$hr" worker), segments = $(kv_get "$hr" segments)"
    fi
fi
[ "$resumed" -ge 1 ] || problems+=("no job resumed from a checkpoint")
if [ ${#problems[@]} -gt 0 ]; then
    printf 'FAIL: %s\n' "${problems[@]}" >&2
    fail_with_logs "the Slurm study did not behave"
fi
say "PASS: $total jobs through a Slurm job array, 1 preempted and resumed from its checkpoint"

#!/usr/bin/env bash
# `make test-cluster`: a three-node Slurm cluster on one machine and four scenarios.
#
# Nodes n1..n3 are each a network namespace (own veth address on a bridge), a UTS
# namespace (own hostname) and a mount namespace in which the shared directory is an sshfs
# mount of this host's export, with their own slurmd (-N nI). slurmctld, sshd and
# hpo-master (except in scenario 4) run on this host, outside the namespaces. Every study's
# workers are one `hpo-slurm` job array. See tests/cluster/lib.sh for the layout.
#
#   1 spread     12 synthetic jobs, 3 array tasks: one task per node, results from all 3
#   2 nodefail   mid-job, every process of n2 is SIGKILLed at once (power loss): Slurm
#                marks n2 down, requeues its array task (--requeue) onto another node, the
#                master requeues the job after its lease timeout, another worker does it
#   3 preempt    3 real MLP trainings with checkpoints on partition 'low'; a job of the
#                higher-priority partition 'high' takes one worker's node: the worker gets
#                its --signal (USR2, preempt_send_user_signal), checkpoints, hands its job
#                back; another task resumes it; the result equals an uninterrupted run
#   4 master     the master as a Slurm job (examples/slurm/master.sbatch as shipped) on
#                n3, killed with its node, resubmitted, resumes from the files, finishes
#
# Each prints: jobs, results, lost, run twice, time. Runs as root; installs slurm-wlm,
# openssh-server, sshfs, iproute2 if missing. Everything lives in a temp dir except the
# namespaces (/run/netns), the bridge and veth links, all removed on exit (also on
# failure). CLUSTER_SCENARIOS="spread nodefail" picks scenarios; KEEP=1 keeps the temp dir.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${HPOSYNC_BIN:-$REPO/build/bin}" && pwd)
export HPOSYNC_DATA=$(cd "${HPOSYNC_DATA:-$REPO/data}" && pwd)
source "$REPO/tests/lib/shell.sh"
source "$REPO/tests/cluster/lib.sh"

# --check: can this machine run it? Exit 0, or 1 with the reason (make test skips then).
if [ "${1:-}" = --check ]; then
    [ "$(id -u)" = 0 ] || { echo "not root (network namespaces, FUSE mounts and the Slurm daemons need root)"; exit 1; }
    for c in ip unshare nsenter; do command -v "$c" >/dev/null || { echo "$c is missing"; exit 1; }; done
    [ -c /dev/fuse ] || { echo "/dev/fuse is missing (no FUSE, so no sshfs)"; exit 1; }
    probe=hpc-probe-$$
    ip netns add "$probe" 2>/dev/null || { echo "ip netns add fails here (no network namespaces in this container?)"; exit 1; }
    ip netns del "$probe"
    ip link add "hpcp$$" type bridge 2>/dev/null || { echo "cannot create a bridge link"; exit 1; }
    ip link del "hpcp$$"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, FUSE mounts, Slurm daemons as root)"
for b in hpo-master hpo-worker hpo-slurm; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make all) or set HPOSYNC_BIN"
done
install_cluster_tools_if_missing
[ -c /dev/fuse ] || die "/dev/fuse is missing: sshfs cannot work here"

T=$(mktemp -d /tmp/hposync-cluster.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/log" "$T/shared"
SH=$T/shared S=""
trap 'on_exit $?' EXIT
T0=$SECONDS

start_network
start_sshd
write_slurm_conf
start_slurmctld
for node in "${NODES[@]}"; do start_node "$node"; done
wait_for 40 "nodes n1..n3 to be idle" all_idle ||
    fail_with_logs "the nodes did not become idle within 40 s ($(sinfo -h -o '%n %t' 2>&1 | tr '\n' ' '))"
say "cluster up after $((SECONDS - T0)) s: $(sinfo -h -N -o '%N/%t/%P' | sort -u | tr '\n' ' ')"
for node in "${NODES[@]}"; do
    say "node $node: hostname $(in_node "$node" hostname), address $(in_node "$node" ip -o -4 addr show scope global | awk '{ print $4 }'), $SH there is $(in_node "$node" findmnt -n -o FSTYPE,SOURCE "$SH")"
done

SUMMARY=()
figures() {  # figures NAME START_SECONDS EXTRA...: prints and remembers a scenario's line
    local name=$1 t0=$2
    shift 2
    study_figures "$S"
    local line="jobs $FIG_TOTAL, results ok $FIG_OK, lost $FIG_LOST, run twice $FIG_TWICE, left $FIG_LEFT, time $((SECONDS - t0)) s"
    [ $# -gt 0 ] && line="$line; $*"
    say "FIGURES $name: $line"
    SUMMARY+=("$name: $line")
    [ "$FIG_TOTAL" -gt 0 ] && [ "$FIG_OK" = "$FIG_TOTAL" ] && [ "$FIG_LOST" = 0 ] && [ "$FIG_TWICE" = 0 ] &&
        [ "$FIG_LEFT" = 0 ] || fail_with_logs "scenario $name: not every job done exactly once"
}

# new_study NAME: S=$SH/NAME with the study file $SH/NAME.study (from stdin).
new_study() {
    S=$SH/$1
    mkdir -p "$S"
    cat >"$SH/$1.study"
}
start_master() {  # the master on this host, outside the namespaces
    "$BIN/hpo-master" --dir "$S" --study "$SH/$1.study" --poll-ms 200 --lease-timeout "${2:-10}" \
        >"$T/log/master-$1.out" 2>&1 &
    MASTER_PID=$!
    wait_for 20 "the master's round manifest" test -f "$S/rounds/r000.round" ||
        fail_with_logs "the master wrote no round manifest"
}
finish_master() {  # waits for the master to end the study
    wait_for "$1" "the master to finish the study" master_gone || fail_with_logs "the study did not finish within $1 s"
    wait "$MASTER_PID" || fail_with_logs "hpo-master exited with status $?"
    MASTER_PID=""
}
submit_workers() {  # submit_workers ARGS...: hpo-slurm on $S; sets ARRAY
    ARRAY=$("$BIN/hpo-slurm" --dir "$S" --cpus-per-task 1 --lease-s 3 --poll-ms 200 "$@" 2>"$T/log/hpo-slurm.err") ||
        { cat "$T/log/hpo-slurm.err" >&2; fail_with_logs "hpo-slurm could not submit"; }
    say "workers: hpo-slurm $* -> array job $ARRAY"
}
end_array() {  # scancel the array (idle workers exit on TERM) and wait until it is gone
    scancel "$1" 2>/dev/null || true
    wait_for 40 "array $1 to leave the queue" array_gone "$1" || fail_with_logs "array $1 did not end"
}
hosts_of_results() { for r in "$S"/results/*.result; do kv_get "$r" host; done | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }' | sed 's/, $//'; }

# ---- scenario 1: spread ------------------------------------------------------------------------
scenario_spread() {
    local t0=$SECONDS hosts nodes_seen
    new_study spread <<'EOF'
format = hposync-study 1
name = spread
strategy = grid
seed = 11
repeats = 2
model = synthetic:quadratic
epochs = 4
synthetic_sleep_s = 2
search.lr = 0.001, 0.003, 0.01, 0.03, 0.1, 0.3
EOF
    start_master spread
    submit_workers --workers 3 --idle-exit 20
    nodes_seen=""
    spread_seen() {
        nodes_seen=$(squeue -h -r -j "$ARRAY" -t R -o %N 2>/dev/null | sort -u | tr '\n' ' ')
        [ "$(wc -w <<<"$nodes_seen")" = 3 ]
    }
    wait_for 30 "array tasks running on all three nodes" spread_seen ||
        fail_with_logs "the array tasks did not run on three nodes (running on: $nodes_seen)"
    say "squeue: $(squeue -h -r -j "$ARRAY" -o '%i@%N' | tr '\n' ' ')"
    finish_master 120
    end_array "$ARRAY"
    hosts=$(hosts_of_results)
    [ "$(for r in "$S"/results/*.result; do kv_get "$r" host; done | sort -u | tr '\n' ' ')" = "n1 n2 n3 " ] ||
        fail_with_logs "results do not come from all of n1 n2 n3 (host fields: $hosts)"
    figures spread "$t0" "results by host: $hosts"
}

# ---- scenario 2: node failure ------------------------------------------------------------------------
scenario_nodefail() {
    local t0=$SECONDS victim job t_kill t_down t_job restarts batch finisher
    new_study nodefail <<'EOF'
format = hposync-study 1
name = nodefail
strategy = grid
seed = 12
repeats = 3
model = synthetic:quadratic
epochs = 6
synthetic_sleep_s = 6
search.lr = 0.001, 0.01, 0.1
EOF
    start_master nodefail 10
    submit_workers --workers 3 --idle-exit 20 --requeue
    victim="" job=""
    busy_on_n2() {
        victim=$(task_on_node "$ARRAY" n2)
        [ -n "$victim" ] && job=$(held_job "$victim") && [ -n "$job" ] && [ -f "$S/jobs/running/$job.job@slurm-$victim" ]
    }
    wait_for 40 "a task on n2 training a job" busy_on_n2 || fail_with_logs "no array task on n2 held a job"
    t_kill=$SECONDS
    power_off n2
    say "power loss: n2 (task $victim, training $job): every process of its namespaces SIGKILLed"
    wait_for 60 "Slurm to mark n2 down" node_down n2 || fail_with_logs "n2 was not marked down"
    t_down=$((SECONDS - t_kill))
    say "sinfo: n2 is $(node_state n2) after $t_down s"
    wait_for 90 "another worker to finish $job" test -f "$S/results/$job.result" ||
        fail_with_logs "$job was never finished after n2 died"
    t_job=$((SECONDS - t_kill))
    finisher="$(kv_get "$S/results/$job.result" worker)@$(kv_get "$S/results/$job.result" host)"
    [ "$(kv_get "$S/results/$job.result" host)" != n2 ] || fail_with_logs "$job's result claims host n2"
    requeued_elsewhere() {
        restarts=$(job_field "$victim" Restarts)
        batch=$(job_field "$victim" BatchHost)
        [ "${restarts:-0}" -ge 1 ] && [ -n "$batch" ] && [ "$batch" != n2 ] && [ "$(job_field "$victim" JobState)" != PENDING ]
    }
    wait_for 60 "Slurm to restart task $victim on another node" requeued_elsewhere ||
        fail_with_logs "task $victim was not restarted elsewhere (Restarts=$restarts BatchHost=$batch)"
    say "task $victim: Restarts=$restarts, now on $batch"
    finish_master 150
    end_array "$ARRAY"
    start_node n2  # back for the next scenarios (ReturnToService=2)
    figures nodefail "$t0" "n2 down in sinfo after $t_down s, $job finished by $finisher $t_job s after the kill, task $victim restarted ${restarts}x by Slurm on $batch, results by host: $(hosts_of_results)"
    wait_for 40 "n2 to be back" node_idle n2 || fail_with_logs "n2 did not come back after its restart"
}

# ---- scenario 3: preemption by partition priority ------------------------------------------------------
# The same study twice: once through the cluster with a preemption, once uninterrupted by
# one local worker (the reference); the preempted job's result must be the reference's.
# 160 epochs (~8 s a job): the high job is scheduled up to sched_interval (2 s) after it
# is submitted, and with 40 epochs (~2 s) the victim sometimes finished its job first.
PREEMPT_STUDY='format = hposync-study 1
name = preempt
strategy = grid
seed = 13
repeats = 1
dataset = mnist
train_subset = 3000
model = mlp:64
optimizer = momentum
batch_size = 4
epochs = 160
record_updates = false
checkpoint_every_epochs = 2
search.lr = 0.003, 0.01, 0.03'
scenario_preempt() {
    local t0=$SECONDS victim job node high handed finisher k ref diffs
    new_study preempt <<<"$PREEMPT_STUDY"
    # The reference, meanwhile: the same study, one local worker, never interrupted.
    local R=$T/reference
    mkdir -p "$R"
    (
        "$BIN/hpo-master" --dir "$R" --study "$SH/preempt.study" --poll-ms 200 >"$T/log/master-reference.out" 2>&1 &
        m=$!
        "$BIN/hpo-worker" --dir "$R" --id reference --threads 1 --poll-ms 200 --idle-exit 5 \
            >"$T/log/worker-reference.out" 2>&1 || kill -TERM $m
        wait $m
    ) &
    local ref_pid=$!
    start_master preempt 30
    submit_workers --workers 3 --idle-exit 20 --requeue --signal USR2 --partition low
    victim="" job="" node=""
    checkpointed() {
        local t
        for t in $(squeue -h -r -j "$ARRAY" -t R -o %i 2>/dev/null); do
            job=$(held_job "$t") || continue
            [ -n "$job" ] && [ -f "$S/checkpoints/$job.ckpt" ] && [ ! -f "$S/results/$job.result" ] || continue
            victim=$t node=$(squeue -h -j "$t" -o %N)
            return 0
        done
        return 1
    }
    wait_for 60 "a running task with a checkpoint" checkpointed || fail_with_logs "no task had a checkpoint within 60 s"
    high=$(sbatch --parsable -p high -w "$node" -c 2 -J high-prio -o "$T/log/high-%j.out" --wrap 'sleep 12')
    say "preemption: job $high of partition high (2 CPUs of $node) arrives; task $victim on $node trains $job"
    local log="$S/slurm/worker-$victim.out"
    wait_for 40 "task $victim to hand its job back" grep -q ': interrupted, handed back' "$log" ||
        fail_with_logs "the preempted task did not hand its job back"
    handed=$(sed -n 's/^hpo-worker [^ ]*: \([^ ]*\): interrupted, handed back.*/\1/p' "$log" | head -n 1)
    # Which signal reached the worker (the batch step): slurmd's debug log names it.
    local jid sig
    jid=$(job_field "$victim" JobId)
    sig=$(grep "sent signal [0-9]* to pid [0-9]* StepId=$jid.batch" "$T/log/slurmd-$node.log" | grep -v 'signal 18 ' |
        sed -n 's/.*sent signal \([0-9]*\) .*/\1/p' | head -n 1)
    [ "$sig" = "$(kill -l USR2)" ] ||
        fail_with_logs "the preempted worker (job $jid on $node) got signal '${sig:-none}', not USR2 ($(kill -l USR2)) as --signal USR2 asks"
    say "task $victim got SIGCONT + SIG$(kill -l "$sig") (slurmd-$node.log), handed $handed back; high job: $(job_field "$high" JobState)"
    finish_master 200
    end_array "$ARRAY"
    wait_for 30 "the high job to end" array_gone "$high" || true
    [ -f "$S/results/$handed.result" ] || fail_with_logs "$handed has no result"
    finisher="$(kv_get "$S/results/$handed.result" worker)@$(kv_get "$S/results/$handed.result" host)"
    [ "$(kv_get "$S/results/$handed.result" segments)" -gt 1 ] ||
        fail_with_logs "$handed was not resumed from its checkpoint (segments = $(kv_get "$S/results/$handed.result" segments))"
    [ "$(kv_get "$S/results/$handed.result" worker)" != "slurm-$victim" ] || say "note: $handed was resumed by the same (requeued) task"
    wait "$ref_pid" || fail_with_logs "the reference run (local master + worker in $R) failed"
    diffs=0
    for k in status steps epochs_done param_count final_train_loss final_val_loss final_val_error test_loss test_accuracy; do
        ref=$(kv_get "$R/results/$handed.result" "$k")
        if [ "$ref" != "$(kv_get "$S/results/$handed.result" "$k")" ]; then
            echo "DIFFERS: $handed $k: preempted $(kv_get "$S/results/$handed.result" "$k"), uninterrupted $ref" >&2
            diffs=$((diffs + 1))
        fi
    done
    [ "$diffs" = 0 ] || fail_with_logs "the preempted job's result differs from the uninterrupted run in $diffs fields"
    figures preempt "$t0" "$handed preempted on $node by job $high, got SIG$(kill -l "$sig"), handed back, resumed by $finisher (segments $(kv_get "$S/results/$handed.result" segments)), final_val_error $(kv_get "$S/results/$handed.result" final_val_error) = uninterrupted run's (9 fields identical)"
}

# ---- scenario 4: the master as a Slurm job ---------------------------------------------------------------
scenario_master() {
    local t0=$SECONDS mjob mjob2 before t_kill
    new_study master <<'EOF'
format = hposync-study 1
name = master
strategy = grid
seed = 14
repeats = 2
model = synthetic:quadratic
epochs = 4
synthetic_sleep_s = 2
search.lr = 0.001, 0.003, 0.01, 0.03, 0.1
EOF
    # Workers on n1, n2 only (partition w12); the master on n3.
    submit_workers --workers 2 --idle-exit 90 --requeue --partition w12
    submit_master() {
        (cd "$S" && STUDY_DIR=$S STUDY_FILE=$SH/master.study HPOSYNC_BIN=$BIN \
            sbatch --parsable -p low -w n3 "$REPO/examples/slurm/master.sbatch")
    }
    mjob=$(submit_master) || fail_with_logs "sbatch examples/slurm/master.sbatch failed"
    say "master: sbatch examples/slurm/master.sbatch -> job $mjob on n3"
    some_results() { [ "$(ls "$S/results" 2>/dev/null | grep -c '\.result$')" -ge 3 ]; }
    wait_for 60 "3 results under the Slurm master" some_results || fail_with_logs "no results under the master job"
    before=$(ls "$S/results" | grep -c '\.result$')
    t_kill=$SECONDS
    power_off n3
    say "power loss: n3 with the master job $mjob ($before results so far)"
    wait_for 60 "Slurm to mark n3 down" node_down n3 || fail_with_logs "n3 was not marked down"
    say "n3 $(node_state n3) after $((SECONDS - t_kill)) s; master job $mjob: $(job_field "$mjob" JobState)"
    start_node n3
    wait_for 40 "n3 to be back" node_idle n3 || fail_with_logs "n3 did not come back"
    mjob2=$(submit_master) || fail_with_logs "resubmitting examples/slurm/master.sbatch failed"
    say "master resubmitted: job $mjob2"
    master_job_gone() { array_gone "$mjob2"; }
    wait_for 120 "the resubmitted master to finish" master_job_gone || fail_with_logs "the resubmitted master did not finish"
    local out="$S/hpo-master-$mjob2.out"
    [ -f "$out" ] || fail_with_logs "no output $out of the master job"
    grep -q 'stale lock' "$out" || fail_with_logs "the resubmitted master did not take over the dead one's lock ($out)"
    [ "$(job_field "$mjob2" ExitCode)" = "0:0" ] || fail_with_logs "master job $mjob2 ended with $(job_field "$mjob2" ExitCode)"
    end_array "$ARRAY"
    figures master "$t0" "master job $mjob killed with n3 after $before results, job $mjob2 took over the stale lock and finished (exit 0)"
}

for sc in ${CLUSTER_SCENARIOS:-spread nodefail preempt master}; do
    say "---- scenario $sc ----"
    "scenario_$sc"
done
say "SUMMARY (total $((SECONDS - T0)) s):"
for line in "${SUMMARY[@]}"; do say "  $line"; done
say "PASS"

# Helpers of tests/slurm/run.sh: a one-node Slurm cluster in a temp dir, bounded waits,
# failure messages with the daemons' logs, cleanup. Facts behind the settings:
# /work/shared/notes/cluster-on-this-machine.md (slurm-wlm 22.05, munge, Debian 12).
# Sourced, not run. Uses: T (temp dir), S (study dir), MASTER_PID, ARRAY.

TEST_TAG=slurm-test
source "$(dirname "${BASH_SOURCE[0]}")/../lib/shell.sh"

install_slurm_if_missing() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
        command -v munged >/dev/null; then
        return 0
    fi
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed"
}

DAEMON_PIDS=()

# start_cluster DIR: munged, slurmctld, slurmd in the foreground (as background jobs of
# this shell, pids recorded), every path inside DIR; waits until the node is idle.
start_cluster() {
    local t=$1 host ctl_port d_port
    host=$(hostname -s)
    ctl_port=$(free_port)
    d_port=$(free_port)
    while [ "$d_port" = "$ctl_port" ]; do d_port=$(free_port); done
    mkdir -p "$t/munge" "$t/state" "$t/spool" "$t/log"
    chmod 755 "$t/munge"  # munged refuses (or warns about) a socket dir others can write to
    head -c 1024 /dev/urandom >"$t/munge/munge.key"
    chmod 400 "$t/munge/munge.key"
    : >"$t/plugstack.conf"  # our own, empty: no site SPANK plugins
    cat >"$t/slurm.conf" <<EOF
# one-node test cluster of tests/slurm/run.sh
ClusterName=hposynctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
$(slurm_conf_common "$t/plugstack.conf")
AuthType=auth/munge
AuthInfo=socket=$t/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/log/slurmctld.log
SlurmdLogFile=$t/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$t/slurm.conf
    say "cluster: node $host, slurmctld port $ctl_port, slurmd port $d_port, config $SLURM_CONF"

    munged -F --force --socket="$t/munge/munge.sock" --key-file="$t/munge/munge.key" \
        --log-file="$t/log/munged.log" --pid-file="$t/munge/munged.pid" --seed-file="$t/munge/munged.seed" \
        >"$t/log/munged.out" 2>&1 &
    DAEMON_PIDS+=($!)
    wait_for 10 "the munge socket" test -S "$t/munge/munge.sock" || fail_with_logs "munged did not start"
    slurmctld -D -i -f "$SLURM_CONF" >"$t/log/slurmctld.out" 2>&1 &
    DAEMON_PIDS+=($!)
    slurmd -D -f "$SLURM_CONF" >"$t/log/slurmd.out" 2>&1 &
    DAEMON_PIDS+=($!)
    wait_for 30 "node $host to be idle" node_idle "$host" ||
        fail_with_logs "node $host did not become idle within 30 s (state: '$(sinfo -h -n "$host" -o %t 2>&1)')"
    say "cluster: node $host idle after ${SECONDS}s of test time"
}

node_idle() { [ "$(sinfo -h -n "$1" -o %t 2>/dev/null)" = idle ]; }
task_gone() { [ -z "$(squeue -h -r -j "${1%%_*}" -o %i 2>/dev/null | grep -x "$1")" ]; }
master_gone() { ! kill -0 "$MASTER_PID" 2>/dev/null; }
array_gone() { [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; }
queue_empty() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }

# Prints the last lines of every log we have, then fails.
fail_with_logs() {
    echo "[slurm-test] FAIL: $*" >&2
    local f
    for f in "$T"/log/* "${S:-/nonexistent}"/slurm/worker-*.out; do
        [ -f "$f" ] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 25 "$f" >&2
    done
    if [ -n "${S:-}" ] && [ -d "$S/jobs" ]; then
        echo "----- study directory $S/jobs -----" >&2
        (cd "$S/jobs" && find . -type f | sort) >&2
    fi
    squeue >&2 2>/dev/null || true
    exit 1
}

# EXIT trap: stop the master, cancel our jobs, wait for the queue to empty, TERM the
# daemons by pid and wait for them, so nothing is left running or defunct.
on_exit() {
    local status=$1 pid
    set +e
    if [ -n "${MASTER_PID:-}" ] && kill -0 "$MASTER_PID" 2>/dev/null; then
        kill -TERM "$MASTER_PID"
        wait "$MASTER_PID" 2>/dev/null
    fi
    if [ ${#DAEMON_PIDS[@]} -gt 0 ]; then
        scancel --user=root 2>/dev/null
        wait_for 30 "the Slurm queue to empty" queue_empty || echo "[slurm-test] jobs still queued at exit" >&2
        for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
        for pid in "${DAEMON_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    fi
    if [ "$status" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$T"
    elif [ -n "${T:-}" ]; then
        echo "[slurm-test] kept $T for inspection" >&2
    fi
    exit "$status"
}

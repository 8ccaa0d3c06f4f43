# Helpers of tests/cluster/run.sh: a three-node Slurm cluster on one machine. Sourced, not
# run. Facts behind the settings: /work/shared/notes/cluster-on-this-machine.md.
#
#   this host ("login/controller")      node nI (I = 1..3), each its own namespaces:
#   slurmctld, sshd, hpo-master  <-->   network (veth on bridge $BR, address $NET.1I),
#   bridge $BR, address $NET.1          UTS (hostname nI), mount (the shared directory
#                                       $SH mounted over sshfs from this host), slurmd -N nI
#
# A node is "powered off" by SIGKILL to every process in its network namespace at once
# (ip netns pids): slurmd, slurmstepd, the workers and the node's sshfs. Its mount
# namespace dies with its last process, so no mount is ever left on this host.
# Uses: T (temp dir), SH (shared dir, studies below it), S (current study), BIN; sets BR, NET, HOST_IP, SSH_PORT, SLURM_CONF.

TEST_TAG=cluster
NODES=(n1 n2 n3)
declare -A NODE_PID=()   # node -> pid of the subshell around its boot (sshfs, then slurmd)
DAEMON_PIDS=()           # slurmctld, sshd
MASTER_PID=""

ns_of() { echo "hpc$$-$1"; }

install_cluster_tools_if_missing() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
        [ -x /usr/sbin/sshd ] && command -v sshfs >/dev/null && command -v ip >/dev/null &&
        command -v nsenter >/dev/null && command -v ssh-keygen >/dev/null; then
        return 0
    fi
    say "installing slurm-wlm openssh-server sshfs iproute2 (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q slurm-wlm openssh-server sshfs iproute2 util-linux >/dev/null ||
        die "apt-get install slurm-wlm openssh-server sshfs iproute2 failed"
}

# The network: a bridge with this host's address and one veth pair + namespace per node.
start_network() {
    local i
    NET=$(free_subnet) && [ -n "$NET" ] || exit 1
    HOST_IP=$NET.1
    BR=hpcb$$
    ip link add "$BR" type bridge || die "cannot create the bridge $BR"
    ip addr add "$HOST_IP/24" dev "$BR"
    ip link set "$BR" up
    for i in 1 2 3; do
        add_veth_namespace "$(ns_of "n$i")" "hpc$$h$i" "hpc$$n$i" "$NET.1$i/24" "$BR"
    done
    say "network: bridge $BR at $HOST_IP; nodes n1..n3 at $NET.11..13, each in its own network namespace"
}

# sshd on the bridge address: the file server of the nodes' sshfs (key-only root login).
start_sshd() {
    start_sftp_sshd "$T" "$HOST_IP"
    DAEMON_PIDS+=("$SSHD_PID")
    local ns1
    ns1=$(ns_of n1)
    port_open() { ip netns exec "$ns1" bash -c "exec 3<>/dev/tcp/$HOST_IP/$SSH_PORT" 2>/dev/null; }
    wait_for 10 "sshd on $HOST_IP:$SSH_PORT" port_open || fail_with_logs "sshd does not answer on $HOST_IP:$SSH_PORT"
}

# slurm.conf: auth/none (no munged), two partitions over the same three nodes for
# preemption, LLN so array tasks spread, short timeouts so a dead node is seen quickly.
write_slurm_conf() {
    local ctl_port d_port
    ctl_port=$(free_port)
    d_port=$(free_port)
    while [ "$d_port" = "$ctl_port" ]; do d_port=$(free_port); done
    mkdir -p "$T/state" "$T/spool" "$T/run"
    : >"$T/plugstack.conf"
    SLURM_CONF=$T/slurm.conf
    export SLURM_CONF
    cat >"$SLURM_CONF" <<EOF
# three-node test cluster of tests/cluster/run.sh
ClusterName=hposynccluster
SlurmctldHost=$(hostname -s)($HOST_IP)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
$(slurm_conf_common "$T/plugstack.conf")
AuthType=auth/none
CredType=cred/none
# A requeued job may start again only after its credential expired (default 120 s).
AuthInfo=cred_expire=10
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool/%n
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd-%n.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd-%n.log
# debug: the slurmd log names each signal it delivers (the preemption scenario reads it)
SlurmdDebug=debug
# A node that does not answer for SlurmdTimeout s is DOWN (sites: 300).
SlurmdTimeout=10
# SIGTERM -> SIGKILL at cancel / end of grace time (sites: 30).
KillWait=10
MinJobAge=600
# Preemption by partition priority: jobs of 'high' requeue those of 'low'; they get
# GraceTime s after the warning (our --signal, preempt_send_user_signal) to checkpoint.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
NodeName=n1 NodeAddr=$NET.11 CPUs=2 RealMemory=2000 State=UNKNOWN
NodeName=n2 NodeAddr=$NET.12 CPUs=2 RealMemory=2000 State=UNKNOWN
NodeName=n3 NodeAddr=$NET.13 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=low Nodes=n1,n2,n3 Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE GraceTime=20 LLN=YES
PartitionName=high Nodes=n1,n2,n3 MaxTime=INFINITE State=UP PriorityTier=2 PreemptMode=OFF
PartitionName=w12 Nodes=n1,n2 MaxTime=INFINITE State=UP PriorityTier=1 LLN=YES
EOF
}

start_slurmctld() {
    slurmctld -D -i -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
    DAEMON_PIDS+=($!)
}

# start_node nI: the node's own mount + UTS namespaces (inside its network namespace),
# hostname nI, the shared directory $SH mounted over sshfs at the same path, then slurmd.
start_node() {
    local node=$1 ns
    ns=$(ns_of "$node")
    # In a subshell of its own (two commands, so bash forks nsenter instead of exec'ing
    # it) whose output is the node's log: the "Killed" of a power-off is reported there.
    # shellcheck disable=SC2016
    (nsenter --net="/run/netns/$ns" unshare --mount --uts --propagation private -- bash -c '
        set -e
        hostname "$1"
        # dir_cache=no: sshfs would cache listings for 20 s and hide new pending jobs.
        sshfs "root@$2:$3" "$3" -o "port=$4,IdentityFile=$5,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,dir_cache=no"
        mountpoint -q "$3" || { echo "sshfs did not mount $3" >&2; exit 97; }
        exec slurmd -D -N "$1" -f "$6"' node-boot "$node" "$HOST_IP" "$SH" "$SSH_PORT" \
        "$T/ssh/client_ed25519" "$SLURM_CONF"
        echo "node $node: boot shell ended, status $?") >>"$T/log/node-$node.out" 2>&1 &
    NODE_PID[$node]=$!
}

# in_node nI COMMAND...: runs COMMAND in the node's network, UTS and mount namespaces.
in_node() {
    local node=$1 pid
    shift
    pid=$(ip netns pids "$(ns_of "$node")" | head -n 1)
    [ -n "$pid" ] || { echo "node $node has no process" >&2; return 1; }
    nsenter -t "$pid" --net --uts --mount "$@"
}

node_state() { sinfo -h -n "$1" -o %t 2>/dev/null | head -n 1; }
node_idle() { [ "$(node_state "$1")" = idle ]; }
node_down() { case "$(node_state "$1")" in down*) return 0 ;; *) return 1 ;; esac; }
all_idle() { local n; for n in "${NODES[@]}"; do node_idle "$n" || return 1; done; }

# power_off nI: SIGKILL to every process of the node's network namespace at once, until
# none is left (a process may fork meanwhile); then reap the boot shell.
power_off() {
    local node=$1 ns pids
    ns=$(ns_of "$node")
    for _ in $(seq 50); do
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [ -n "${pids// /}" ] || break
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        sleep 0.1
    done
    if [ -n "${NODE_PID[$node]:-}" ]; then { wait "${NODE_PID[$node]}"; } 2>/dev/null || true; fi
    NODE_PID[$node]=""
}

# The array task (J_T) running on node N, "" if none; the job that task's worker holds.
task_on_node() { squeue -h -r -t R -o '%i %N' 2>/dev/null | awk -v n="$2" -v a="$1" 'index($1, a "_") == 1 && $2 == n { print $1; exit }'; }
held_job() { [ -f "$S/workers/slurm-$1.worker" ] && kv_get "$S/workers/slurm-$1.worker" job; }
queue_empty() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }
array_gone() { [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; }
master_gone() { ! kill -0 "$MASTER_PID" 2>/dev/null; }
job_field() { scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

fail_with_logs() {
    echo "[cluster] FAIL: $*" >&2
    local f
    for f in "$T"/log/* "${S:-/nonexistent}"/slurm/*.out; do
        [ -f "$f" ] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 15 "$f" >&2
    done
    [ -n "${S:-}" ] && [ -d "$S/jobs" ] && { echo "----- $S/jobs -----" >&2; (cd "$S/jobs" && find . -type f | sort | head -n 40) >&2; }
    squeue >&2 2>/dev/null || true
    sinfo >&2 2>/dev/null || true
    exit 1
}

# EXIT trap: master, jobs, nodes (every process of every namespace), daemons, namespaces,
# links; nothing is left running, mounted or defunct, also after a failure.
on_exit() {
    local status=$1 pid node
    set +e
    if [ -n "${MASTER_PID:-}" ] && kill -0 "$MASTER_PID" 2>/dev/null; then
        kill -TERM "$MASTER_PID"
        wait "$MASTER_PID" 2>/dev/null
    fi
    if [ -n "${SLURM_CONF:-}" ] && [ ${#DAEMON_PIDS[@]} -gt 0 ]; then
        scancel --user=root 2>/dev/null
        wait_for 15 "the Slurm queue to empty" queue_empty 2>/dev/null
    fi
    for node in "${NODES[@]}"; do
        ip netns pids "$(ns_of "$node")" >/dev/null 2>&1 && power_off "$node"
    done
    for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${DAEMON_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for node in "${NODES[@]}"; do ip netns del "$(ns_of "$node")" 2>/dev/null; done
    [ -n "${BR:-}" ] && ip link del "$BR" 2>/dev/null
    if [ -n "${T:-}" ] && grep -q " $T" /proc/mounts; then
        echo "[cluster] BUG: a mount under $T is left on this host" >&2
        status=1
    fi
    if [ "$status" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$T"
    elif [ -n "${T:-}" ]; then
        echo "[cluster] kept $T for inspection" >&2
    fi
    exit "$status"
}

# Helpers shared by the shell-driven system tests (tests/slurm, tests/twohost).
# Sourced, not run. Set TEST_TAG (e.g. slurm-test) before sourcing: it prefixes messages.

say() { echo "[${TEST_TAG} ${SECONDS}s] $*"; }
die() { echo "[${TEST_TAG}] FAIL: $*" >&2; exit 1; }

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s; 1 if it never succeeded.
wait_for() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    while ! "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "[${TEST_TAG}] gave up waiting for $what after $limit s" >&2
            return 1
        fi
        sleep 0.1
    done
}

# kv_get FILE KEY: the value of `KEY = value` in a hposync key = value file.
kv_get() { sed -n "s/^$2 = //p" "$1" | head -n 1; }

# An unused TCP port on 127.0.0.1: random in 20000..59999, nothing answering there.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "found no free TCP port"
}

# study_figures DIR: counts, from the files of study DIR, every job of its round
# manifests: FIG_TOTAL, FIG_OK (status ok), FIG_LOST (no result), FIG_TWICE (more than one
# curves file: every completed run writes its own), FIG_LEFT (job files left in pending/
# running/failed/quarantine), FIG_RESUMED (segments > 1). Prints each lost / twice job.
study_figures() {
    local s=$1 id r n
    FIG_TOTAL=0 FIG_OK=0 FIG_LOST=0 FIG_TWICE=0 FIG_RESUMED=0
    for id in $(cat "$s"/rounds/*.round 2>/dev/null | sed -n 's/^job\.[0-9]* = //p'); do
        FIG_TOTAL=$((FIG_TOTAL + 1))
        r="$s/results/$id.result"
        if [ ! -f "$r" ]; then
            FIG_LOST=$((FIG_LOST + 1))
            echo "LOST: $id has no result" >&2
            continue
        fi
        [ "$(kv_get "$r" status)" = ok ] && FIG_OK=$((FIG_OK + 1))
        [ "$(kv_get "$r" segments)" -gt 1 ] && FIG_RESUMED=$((FIG_RESUMED + 1))
        n=$(ls "$s/results" | grep -c "^$id\..*\.curves\.csv$" || true)
        [ "$n" -gt 1 ] && { FIG_TWICE=$((FIG_TWICE + 1)); echo "RUN TWICE: $id ($n curves files)" >&2; }
    done
    FIG_LEFT=$(ls "$s/jobs/pending" "$s/jobs/running" "$s/jobs/failed" "$s/jobs/quarantine" 2>/dev/null | grep -c '\.job' || true)
}

# start_sftp_sshd DIR LISTEN_IP: an sshd of our own for sshfs clients in other network
# namespaces: host and client keys in DIR/ssh, key-only root login, listening on
# LISTEN_IP:SSH_PORT (a free port; set here), log DIR/log/sshd.log. Sets SSH_PORT and
# SSHD_PID (a background job of the calling shell). The client key: DIR/ssh/client_ed25519.
start_sftp_sshd() {
    local dir=$1 ip=$2
    SSH_PORT=$(free_port)
    mkdir -p "$dir/ssh" "$dir/log"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh/host_ed25519"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh/client_ed25519"
    cp "$dir/ssh/client_ed25519.pub" "$dir/ssh/authorized_keys"
    cat >"$dir/ssh/sshd_config" <<EOC
# sshd of a ${TEST_TAG} test: only for sshfs from the test's namespaces, key-only root login
Port $SSH_PORT
ListenAddress $ip
HostKey $dir/ssh/host_ed25519
PidFile $dir/ssh/sshd.pid
AuthorizedKeysFile $dir/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# the key files live under /tmp, which is world-writable: StrictModes would refuse them
StrictModes no
# several nodes mount at once
MaxStartups 30
Subsystem sftp internal-sftp
EOC
    mkdir -p /run/sshd && chmod 755 /run/sshd  # sshd's privilege separation dir
    /usr/sbin/sshd -D -e -f "$dir/ssh/sshd_config" 2>"$dir/log/sshd.log" &
    SSHD_PID=$!
}

# sshfs_from_namespace NS SERVER_IP PORT KEY REMOTE_DIR MOUNTPOINT LOG [MORE_OPTIONS]: mounts
# REMOTE_DIR of the sshd at SERVER_IP:PORT (start_sftp_sshd) on MOUNTPOINT, in this host's
# mount namespace but over NS's network, so the mount is visible to every later
# `ip netns exec NS` (tests/twohost/run.sh says why). Sets SSHFS_PID (`sshfs -f`, a
# background job of the calling shell); the caller waits for `mountpoint -q MOUNTPOINT`.
sshfs_from_namespace() {
    local opts="port=$3,IdentityFile=$4,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes${8:+,$8}"
    nsenter --net="/run/netns/$1" sshfs -f "root@$2:$5" "$6" -o "$opts" >"$7" 2>&1 &
    SSHFS_PID=$!
}

# free_subnet: prints an unused 10.x.y (a /24 no interface of this host is in).
free_subnet() {
    local n
    for _ in $(seq 20); do
        n="10.$((150 + RANDOM % 100)).$((RANDOM % 250))"
        ip -o addr | grep -q " $n\." || { echo "$n"; return 0; }
    done
    die "found no unused 10.x.y.0/24 subnet"
}

# add_veth_namespace NS HOST_END NS_END NS_ADDR/PREFIX [BRIDGE]: a network namespace NS
# joined to this host by a veth pair (HOST_END here, up, in BRIDGE if given; NS_END in
# NS with the address), loopback up in NS. The caller addresses HOST_END or BRIDGE.
add_veth_namespace() {
    local ns=$1 vh=$2 vn=$3 addr=$4 bridge=${5:-}
    ip netns add "$ns" || die "ip netns add $ns failed (no permission for network namespaces?)"
    ip link add "$vh" type veth peer name "$vn" || die "cannot create the veth pair $vh/$vn"
    ip link set "$vn" netns "$ns"
    [ -z "$bridge" ] || ip link set "$vh" master "$bridge"
    ip link set "$vh" up
    ip netns exec "$ns" ip addr add "$addr" dev "$vn"
    ip netns exec "$ns" ip link set "$vn" up
    ip netns exec "$ns" ip link set lo up
}

# slurm_conf_common PLUGSTACK: the slurm.conf lines both test clusters share (tests/slurm,
# tests/cluster): daemons and jobs as root, no site SPANK plugins (our own empty
# PLUGSTACK), no cgroups (containers lack them: proctrack/linuxproc, task/none), CPUs as
# the consumable so array tasks share nodes, nodes back in service after a reboot, no
# accounting, and a 2 s scheduler pass so tests wait seconds, not the default minute.
slurm_conf_common() {
    cat <<EOC
SlurmUser=root
SlurmdUser=root
PlugStackConfig=$1
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerParameters=sched_interval=2
EOC
}

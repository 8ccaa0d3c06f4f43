#!/usr/bin/env bash
# `make bench-twohost`: throughput of workers on a second host that sees the study
# directory over sshfs, beside the same workers on the local disk, in one run. Host 2 is
# the set-up of `make test-twohost` (a network namespace joined by a veth pair, an sshd of
# our own, the directory mounted with sshfs `-o dir_cache=no` as docs/CLUSTER.md advises).
# hpo-master and the counting (inotify on the local directory: every claim and result of
# host 2 is a rename done by the sftp server on this host) stay here; the W workers run
# in the namespace on the mount. No-op jobs: the cost is the protocol's alone.
#
#   bash bench/scale/twohost.sh [W] [N...]      (default: 4 workers, 1000 10000 jobs)
# Prints one kind=scale_throughput line per run (workers_via=worker-root: over sshfs),
# then a table. Runs as root; installs openssh-server, sshfs, iproute2 if missing.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
BUILD=${BUILD:-build}
W=${1:-4}
shift || true
SIZES=${*:-1000 10000}
TEST_TAG=bench-twohost
source tests/lib/shell.sh
[ "$(id -u)" = 0 ] || die "must run as root (network namespace, sshd, FUSE mount)"
export HPOSYNC_BIN=$(cd "$BUILD/bin" && pwd)
if ! { [ -x /usr/sbin/sshd ] && command -v sshfs >/dev/null && command -v ip >/dev/null; }; then
    say "installing openssh-server sshfs iproute2 (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q openssh-server sshfs iproute2 >/dev/null ||
        die "apt-get install openssh-server sshfs iproute2 failed"
fi
[ -c /dev/fuse ] || die "/dev/fuse is missing: no FUSE, so no sshfs"
# Built by the Makefile with its flags (target $BUILD/bin/scale-bench).
BENCH=$BUILD/bin/scale-bench
make --no-print-directory BUILD="$BUILD" "$BENCH"

T=$(mktemp -d /tmp/hposync-bench-twohost.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/ssh" "$T/log" "$T/mnt" "$T/base" "$T/host2-bin"
NS=hposync-bt-$$ VH=hpbt$$h VN=hpbt$$n MNT=$T/mnt SSHFS_PID="" SSHD_PID=""
cleanup() {
    local status=$1
    set +e
    if mountpoint -q "$MNT"; then fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"; fi
    [ -n "$SSHFS_PID" ] && { kill -TERM "$SSHFS_PID" 2>/dev/null; wait "$SSHFS_PID" 2>/dev/null; }
    [ -n "$SSHD_PID" ] && { kill -TERM "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null; }
    ip netns del "$NS" 2>/dev/null
    ip link del "$VH" 2>/dev/null
    if [ "$status" = 0 ]; then rm -rf "$T"; else echo "[bench-twohost] kept $T" >&2; fi
    exit "$status"
}
trap 'cleanup $?' EXIT

NET=$(free_subnet) && [ -n "$NET" ] || exit 1
HOST_IP=$NET.1
add_veth_namespace "$NS" "$VH" "$VN" "$NET.2/24"
ip addr add "$HOST_IP/24" dev "$VH"
start_sftp_sshd "$T" "$HOST_IP"
port_open() { ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/$HOST_IP/$SSH_PORT" 2>/dev/null; }
wait_for 10 "sshd on $HOST_IP:$SSH_PORT" port_open || die "sshd does not answer (log: $T/log/sshd.log)"
sshfs_from_namespace "$NS" "$HOST_IP" "$SSH_PORT" "$T/ssh/client_ed25519" "$T/base" "$MNT" "$T/log/sshfs.log" dir_cache=no
wait_for 15 "the sshfs mount" mountpoint -q "$MNT" || die "sshfs did not mount (log: $T/log/sshfs.log)"
# hpo-worker on host 2: the same binary, inside the namespace (argv only, no shell words).
printf '#!/bin/sh\nexec ip netns exec %s %s/hpo-worker "$@"\n' "$NS" "$HPOSYNC_BIN" > "$T/host2-bin/hpo-worker"
chmod +x "$T/host2-bin/hpo-worker"
say "host 2: $W workers on $(findmnt -n -o FSTYPE "$MNT") at $MNT; local: $W workers on $(stat -f -c %T "$T/base")"

RAW=$T/raw.txt
for N in $SIZES; do
    say "$N no-op jobs, $W workers on the local disk"
    timeout 1800 "$BENCH" throughput --jobs "$N" --workers "$W" --dir "$T/base" | tee -a "$RAW"
    say "$N no-op jobs, $W workers on host 2 over sshfs"
    timeout 1800 "$BENCH" throughput --jobs "$N" --workers "$W" --dir "$T/base" \
        --worker-bin "$T/host2-bin" --worker-root "$MNT" | tee -a "$RAW"
done
echo
echo "| jobs | workers | where the workers are | jobs/s | seconds | claimed twice | lost |"
echo "|---:|---:|---|---:|---:|---:|---:|"
awk '{ for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
       where = ($0 ~ /workers_via=/) ? "host 2, sshfs (dir_cache=no)" : "this host, local disk"
       printf "| %s | %s | %s | %s | %.1f | %s | %s |\n", v["jobs"], v["workers"], where, v["jobs_per_s"], v["seconds"], v["claimed_twice"], v["lost"]
       delete v }' "$RAW"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

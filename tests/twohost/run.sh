#!/usr/bin/env bash
# `make test-twohost`: a second host on one machine. A network namespace ("host 2") joined
# to this host by a veth pair reaches an sshd of our own on the host side and mounts the
# study directory with sshfs. A worker runs inside the namespace on the sshfs path, while
# the master and a local worker use the directory directly. Checks first what sshfs does
# with the operations the protocol needs (rename, rename over a file, O_EXCL, link, the
# attribute cache), then runs a study of 20 synthetic jobs: every job done exactly once.
#
# Runs as root. Installs openssh-server, sshfs, iproute2 if missing. Everything lives in a
# temp dir, except /run/netns/<ns> (ip netns) and /run/sshd (sshd's privilege separation
# dir, created if missing). Environment: HPOSYNC_BIN (default build/bin); KEEP=1 keeps the
# temp dir (always kept on failure).
#
# Why sshfs runs with `nsenter --net` and the worker with `ip netns exec`: `ip netns exec`
# gives each command a private mount namespace, so a mount made in one is invisible to
# the next. sshfs is therefore started in this host's mount namespace but the namespace's
# network (its SSH connection goes over the veth pair); the mount then exists before the
# worker's `ip netns exec` and is copied into its mount namespace.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${HPOSYNC_BIN:-$REPO/build/bin}" && pwd)

TEST_TAG=twohost
source "$REPO/tests/lib/shell.sh"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (network namespace, sshd, FUSE mount)"
for b in hpo-master hpo-worker; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make all) or set HPOSYNC_BIN"
done
[ -x "$BIN/fsprobe" ] || die "$BIN/fsprobe is missing: make test-twohost builds it (the Makefile's flags)"
have_tools() {
    [ -x /usr/sbin/sshd ] && command -v sshfs >/dev/null && command -v ip >/dev/null && command -v ssh-keygen >/dev/null
}
if ! have_tools; then
    say "installing openssh-server sshfs iproute2 (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q openssh-server sshfs iproute2 >/dev/null || die "apt-get install openssh-server sshfs iproute2 failed"
fi
[ -c /dev/fuse ] || die "/dev/fuse is missing: FUSE (and so sshfs) cannot work in this machine/container"

T=$(mktemp -d /tmp/hposync-twohost.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/ssh" "$T/log" "$T/mnt"
NS=hposync-th-$$
VH=hpth$$h VN=hpth$$n
PIDS=() MASTER_PID="" SSHFS_PID="" MNT=$T/mnt S=$T/study

# Prints the logs we have, then fails.
fail_with_logs() {
    echo "[twohost] FAIL: $*" >&2
    local f
    for f in "$T"/log/*; do
        [ -f "$f" ] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 20 "$f" >&2
    done
    [ -d "$S/jobs" ] && { echo "----- $S/jobs -----" >&2; (cd "$S/jobs" && find . -type f | sort) >&2; }
    exit 1
}

cleanup() {
    local status=$1 pid
    set +e
    for pid in $MASTER_PID "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $MASTER_PID "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    if mountpoint -q "$MNT"; then fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"; fi
    [ -n "$SSHFS_PID" ] && { kill -TERM "$SSHFS_PID" 2>/dev/null; wait "$SSHFS_PID" 2>/dev/null; }
    [ -n "${SSHD_PID:-}" ] && { kill -TERM "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null; }
    ip netns del "$NS" 2>/dev/null   # takes the namespace's end of the veth pair with it
    ip link del "$VH" 2>/dev/null
    if [ "$status" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "[twohost] kept $T" >&2; fi
    exit "$status"
}
trap 'cleanup $?' EXIT

# ---- host 2: network namespace + veth pair ----------------------------------------------
NET=$(free_subnet) && [ -n "$NET" ] || exit 1
HOST_IP=$NET.1 NS_IP=$NET.2
add_veth_namespace "$NS" "$VH" "$VN" "$NS_IP/24"
ip addr add "$HOST_IP/24" dev "$VH"
say "host 2: network namespace $NS at $NS_IP, this host at $HOST_IP ($VH <-> $VN)"

# ---- sshd on the host side ------------------------------------------------------------------
start_sftp_sshd "$T" "$HOST_IP"
PORT=$SSH_PORT
port_open() { ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/$HOST_IP/$PORT" 2>/dev/null; }
wait_for 10 "sshd on $HOST_IP:$PORT" port_open || fail_with_logs "sshd does not answer on $HOST_IP:$PORT from $NS"

# ---- the study directory, mounted over sshfs from host 2 --------------------------------------
mkdir -p "$S/probe" "$S/probe-ops"
sshfs_from_namespace "$NS" "$HOST_IP" "$PORT" "$T/ssh/client_ed25519" "$S" "$MNT" "$T/log/sshfs.log"
wait_for 15 "the sshfs mount on $MNT" mountpoint -q "$MNT" || fail_with_logs "sshfs did not mount $S on $MNT"
FSTYPE=$(findmnt -n -o FSTYPE,SOURCE "$MNT")
say "filesystem of host 2: $FSTYPE on $MNT (via $NS); of this host: $(stat -f -c %T "$S") on $S"
IN_NS=(ip netns exec "$NS")

# ---- what sshfs does with the protocol's operations ---------------------------------------------
cp "$BIN/fsprobe" "$T/fsprobe"
mkdir -p "$T/local-probe"
say "operations on the local disk ($(stat -f -c %T "$T")), for comparison:"
"$T/fsprobe" "$T/local-probe" | sed 's/^/    /' || true
say "operations on sshfs, from host 2:"
set +e
"${IN_NS[@]}" "$T/fsprobe" "$MNT/probe-ops" >"$T/log/fsprobe-sshfs.txt" 2>&1
PROBE_STATUS=$?
set -e
sed 's/^/    /' "$T/log/fsprobe-sshfs.txt"

# Attribute and directory caching: host 2 looks first (the cache learns "absent"), then
# this host creates / replaces the file directly; how long until host 2 sees it?
"${IN_NS[@]}" ls "$MNT/probe" >/dev/null
"${IN_NS[@]}" stat "$MNT/probe/late" >/dev/null 2>&1 || true
t0=$(now)
echo one >"$S/probe/late"
wait_for 60 "host 2 to stat the new file" "${IN_NS[@]}" test -e "$MNT/probe/late" || true
t_stat=$(since "$t0")
listed() { "${IN_NS[@]}" ls "$MNT/probe" | grep -qx late; }
wait_for 60 "host 2 to list the new file" listed || true
t_list=$(since "$t0")
echo two >"$S/probe/.late.tmp" && mv "$S/probe/.late.tmp" "$S/probe/late"  # like write_file_atomic
t0=$(now)
new_content() { [ "$("${IN_NS[@]}" cat "$MNT/probe/late")" = two ]; }
wait_for 60 "host 2 to read the replaced content" new_content || true
t_content=$(since "$t0")
say "attribute cache: a file created here was visible to host 2's stat after ${t_stat} s, in its directory listing after ${t_list} s; replaced content (rename over) read after ${t_content} s"
if [ "$PROBE_STATUS" != 0 ]; then
    fail_with_logs "sshfs broke an operation the protocol needs (see the BROKEN lines above)"
fi

# ---- the study: master + local worker here, one worker on host 2 over sshfs ------------------
cat >"$T/twohost.study" <<'EOF'
format = hposync-study 1
name = twohost
strategy = grid
seed = 9
repeats = 4
model = synthetic:quadratic
epochs = 3
synthetic_sleep_s = 1
search.lr = 0.001, 0.003, 0.01, 0.03, 0.1
EOF
"$BIN/hpo-master" --dir "$S" --study "$T/twohost.study" --poll-ms 200 --lease-timeout 60 >"$T/log/master.out" 2>&1 &
MASTER_PID=$!
wait_for 20 "the round manifest" test -f "$S/rounds/r000.round" || fail_with_logs "the master wrote no round manifest"
"$BIN/hpo-worker" --dir "$S" --id host1-local --poll-ms 200 >"$T/log/worker-host1.out" 2>&1 &
PIDS+=($!)
"${IN_NS[@]}" "$BIN/hpo-worker" --dir "$MNT" --id host2-sshfs --poll-ms 200 >"$T/log/worker-host2.out" 2>&1 &
PIDS+=($!)
say "study: 20 synthetic jobs of 1 s; worker host1-local on $S, worker host2-sshfs on $MNT in $NS"
master_gone() { ! kill -0 "$MASTER_PID" 2>/dev/null; }
wait_for 180 "the study to finish" master_gone || fail_with_logs "the study did not finish within 180 s"
wait "$MASTER_PID" || fail_with_logs "hpo-master exited with status $?"
MASTER_PID=""
for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" || fail_with_logs "a worker exited with status $? after TERM"; done
PIDS=()

# ---- count, from the files ---------------------------------------------------------------------
total=0 done_ok=0 lost=0 twice=0 by_host2=0 by_host1=0
for id in $(sed -n 's/^job\.[0-9]* = //p' "$S"/rounds/*.round); do
    total=$((total + 1))
    r="$S/results/$id.result"
    if [ ! -f "$r" ]; then lost=$((lost + 1)); echo "LOST: $id" >&2; continue; fi
    [ "$(kv_get "$r" status)" = ok ] && done_ok=$((done_ok + 1))
    case "$(kv_get "$r" worker)" in host2-sshfs) by_host2=$((by_host2 + 1)) ;; host1-local) by_host1=$((by_host1 + 1)) ;; esac
    n=$(ls "$S/results" | grep -c "^$id\..*\.curves\.csv$" || true)
    [ "$n" -gt 1 ] && { twice=$((twice + 1)); echo "RUN TWICE: $id ($n curves files)" >&2; }
done
left=$(ls "$S/jobs/pending" "$S/jobs/running" "$S/jobs/failed" "$S/jobs/quarantine" 2>/dev/null | grep -c '\.job' || true)
# Anything but progress lines: I/O errors, hand-backs, duplicate results, stale claims.
grep -v ': started in \|: training (\|: epoch [0-9]\|: ok, val_error\|: exiting (' "$T/log/worker-host2.out" >"$T/log/host2-remarks.txt" || true
errors=$(wc -l <"$T/log/host2-remarks.txt")
say "jobs: $total, finished ok: $done_ok (host 1: $by_host1, host 2 over sshfs: $by_host2)"
say "lost: $lost, run twice: $twice, job files left in pending/running/failed/quarantine: $left"
say "host 2 worker log lines other than progress: $errors"
sed 's/^/    /' "$T/log/host2-remarks.txt" | head -n 10
problems=()
[ "$total" = 20 ] || problems+=("$total jobs in the manifests, expected 20")
[ "$done_ok" = "$total" ] || problems+=("$done_ok of $total finished ok")
[ "$lost" = 0 ] || problems+=("$lost lost")
[ "$twice" = 0 ] || problems+=("$twice run twice")
[ "$left" = 0 ] || problems+=("$left job files left behind")
[ "$by_host2" -ge 1 ] || problems+=("the worker on host 2 finished no job")
[ "$by_host1" -ge 1 ] || problems+=("the local worker finished no job")
if [ ${#problems[@]} -gt 0 ]; then
    printf 'FAIL: %s\n' "${problems[@]}" >&2
    fail_with_logs "the two-host study did not behave"
fi
say "PASS: 20 jobs over $FSTYPE and the local disk, each done exactly once"

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

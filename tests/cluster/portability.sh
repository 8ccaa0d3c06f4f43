#!/usr/bin/env bash
# `make test-portability` (part of `make test`): the default build runs on an older CPU.
#
#  1. instruction scan (objdump): the default build's hpo-train and hpo-worker contain no
#     AVX/AVX2/AVX-512 instruction outside the run-time dispatched variants (*_avx2,
#     *_avx512 in src/engine/optimizer.cpp and instruments.cpp);
#  2. under qemu-user emulating an Intel Nehalem (x86-64-v2: SSE4.2, no AVX), the default
#     build's `hpo-train --help`, a synthetic job and a small MNIST MLP training (oneDNN
#     inside) run and finish; oneDNN reports the ISA it picked there; HPOSYNC_SIMD=avx2 is
#     refused there (the dispatch sees the emulated CPU);
#  3. on this CPU, the optimizer's variants give bit-identical training curves
#     (HPOSYNC_SIMD=baseline vs avx2 vs avx512 where the CPU has it);
#  4. the native build (NATIVE_BIN, default build-native/bin, made by `make NATIVE=1` or
#     `make bench`), if present, dies with SIGILL under the same emulated CPU; without it,
#     the step says so and is skipped (building it would double `make test`'s build time).
#
# Needs qemu-user (Debian's qemu-x86_64; installed here when missing, as root).
# Environment: HPOSYNC_BIN (default build/bin), HPOSYNC_DATA, NATIVE_BIN, QEMU_CPU
# (default Nehalem).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${HPOSYNC_BIN:-$REPO/build/bin}" && pwd)
NATIVE_BIN=${NATIVE_BIN:-$REPO/build-native/bin}
export HPOSYNC_DATA=$(cd "${HPOSYNC_DATA:-$REPO/data}" && pwd)
CPU=${QEMU_CPU:-Nehalem}
TEST_TAG=portability
source "$REPO/tests/lib/shell.sh"

[ "$(uname -m)" = x86_64 ] || { say "SKIP: not an x86-64 machine"; exit 0; }
if ! command -v qemu-x86_64 >/dev/null; then
    [ "$(id -u)" = 0 ] || { say "SKIP: qemu-x86_64 missing and not root to install qemu-user"; exit 0; }
    dpkg-query -W -f='${Status}' qemu-user 2>/dev/null | grep -q "install ok installed" || {
        say "installing qemu-user (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends qemu-user >/dev/null ||
            die "apt-get install qemu-user failed"
    }
fi
command -v objdump >/dev/null || die "objdump (binutils) is missing"
W=$(mktemp -d /tmp/hposync-portability.XXXXXX)
trap 'rm -rf "$W"' EXIT
problems=()

# ---- 1. instruction scan ------------------------------------------------------------------
# VEX/EVEX-encoded instructions (mnemonics v*, except VMX's vm* and verr/verw) need AVX.
avx_outside_variants() {
    objdump -d --no-show-raw-insn "$1" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
        NF >= 2 && $2 ~ /^v/ && $2 !~ /^(vm|verr|verw)/ {
            if (fn ~ /_avx2|_avx512/) inside++; else { outside++; if (!(fn in seen)) { seen[fn] = 1; print "    " fn > "/dev/stderr" } }
        }
        END { printf "%d %d\n", outside + 0, inside + 0 }' 2>"$W/outside.txt"
}
for b in hpo-train hpo-worker; do
    read -r out in < <(avx_outside_variants "$BIN/$b")
    say "scan $b: $out AVX instructions outside the dispatched variants, $in inside them"
    [ "$out" = 0 ] || { head -n 5 "$W/outside.txt" >&2; problems+=("$b has $out AVX instructions outside the dispatched variants"); }
    [ "$in" -gt 0 ] || problems+=("$b has no AVX2/AVX-512 variant at all (dispatch not compiled in?)")
done

# ---- 2. the default build under an emulated older CPU ---------------------------------------
Q=(qemu-x86_64 -cpu "$CPU")
say "emulated CPU: $(qemu-x86_64 --version | head -n 1), -cpu $CPU"
if "${Q[@]}" "$BIN/hpo-train" --help >"$W/help.txt" 2>&1; then
    say "$CPU: hpo-train --help ok ($(wc -l <"$W/help.txt") lines)"
else
    problems+=("hpo-train --help failed under $CPU (status $?): $(tail -n 2 "$W/help.txt")")
fi
if "${Q[@]}" "$BIN/hpo-train" --model synthetic:quadratic --lr 0.01 --epochs 3 >"$W/synthetic.txt" 2>&1; then
    say "$CPU: synthetic job ok: $(grep -m1 -i 'val_error\|status' "$W/synthetic.txt" || tail -n 1 "$W/synthetic.txt")"
else
    problems+=("the synthetic job failed under $CPU: $(tail -n 2 "$W/synthetic.txt")")
fi
MLP=(--model mlp:32 --optimizer adam --lr 0.003 --batch-size 16 --epochs 2 --train-subset 400 --test-subset 200
    --threads 1 --seed 3)
t0=$SECONDS
if ONEDNN_VERBOSE=1 "${Q[@]}" "$BIN/hpo-train" "${MLP[@]}" --curves "$W/qemu.csv" >"$W/mlp.txt" 2>&1; then
    isa=$(grep -m1 -o 'isa:[^,]*' "$W/mlp.txt" || echo "isa: not reported")
    say "$CPU: MLP training (oneDNN) ok in $((SECONDS - t0)) s, oneDNN $isa; $(grep -m1 -o 'test_accuracy[ =]*[0-9.]*' "$W/mlp.txt" || true)"
    grep -qi 'avx' <<<"$isa" && problems+=("oneDNN picked $isa on the emulated $CPU")
else
    problems+=("the MLP training failed under $CPU: $(grep -v onednn_verbose "$W/mlp.txt" | tail -n 2)")
fi
# The dispatch reads the emulated CPUID: forcing the AVX2 variant must be refused there.
if HPOSYNC_SIMD=avx2 "${Q[@]}" "$BIN/hpo-train" "${MLP[@]}" >"$W/forced.txt" 2>&1; then
    problems+=("HPOSYNC_SIMD=avx2 was accepted on the emulated $CPU")
elif grep -q "HPOSYNC_SIMD: this CPU cannot run the 'avx2' variant" "$W/forced.txt"; then
    say "$CPU: HPOSYNC_SIMD=avx2 refused: $(grep -m1 HPOSYNC_SIMD "$W/forced.txt")"
else
    problems+=("HPOSYNC_SIMD=avx2 under $CPU failed for another reason: $(tail -n 2 "$W/forced.txt")")
fi

# ---- 3. the variants give the same bits ---------------------------------------------------------
strip_time() { cut -d, -f1,2,4,5 "$1"; }  # kind,index,metric,value (t is wall time)
variants=(baseline avx2)
grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && variants+=(avx512)
for v in "${variants[@]}"; do
    if ! grep -qw "${v/512/512f}" /proc/cpuinfo && [ "$v" != baseline ]; then
        say "this CPU has no $v: variant not compared"
        continue
    fi
    HPOSYNC_SIMD=$v "$BIN/hpo-train" "${MLP[@]}" --curves "$W/$v.csv" >"$W/$v.txt" 2>&1 || problems+=("HPOSYNC_SIMD=$v run failed")
done
for v in "${variants[@]}"; do
    [ -f "$W/$v.csv" ] && [ "$v" != baseline ] || continue
    if cmp -s <(strip_time "$W/baseline.csv") <(strip_time "$W/$v.csv"); then
        say "curves bit-identical: baseline vs $v ($(wc -l <"$W/$v.csv") rows)"
    else
        problems+=("curves differ between HPOSYNC_SIMD=baseline and $v")
    fi
done

# ---- 4. the native build needs its CPU ------------------------------------------------------------
if [ -x "$NATIVE_BIN/hpo-train" ]; then
    # In a subshell whose output is the file: its "Illegal instruction" goes there too.
    ("${Q[@]}" "$NATIVE_BIN/hpo-train" --help; echo "status $?") >"$W/native.txt" 2>&1 || true
    st=$(sed -n 's/^status //p' "$W/native.txt")
    if [ "$st" = 132 ] || grep -q 'Illegal instruction' "$W/native.txt"; then
        say "$CPU: the native build ($NATIVE_BIN/hpo-train) dies with SIGILL (status $st), as it must"
    else
        say "$CPU: the native build ran (status $st): this machine's CPU adds nothing over $CPU?"
    fi
    read -r nout _ < <(avx_outside_variants "$NATIVE_BIN/hpo-train")
    say "scan native hpo-train: $nout AVX instructions outside the dispatched variants"
else
    say "native build not present ($NATIVE_BIN): make NATIVE=1 all, or make bench, to check it here"
fi

if [ ${#problems[@]} -gt 0 ]; then
    printf '[portability] FAIL: %s\n' "${problems[@]}" >&2
    exit 1
fi
say "PASS: the default build runs on $CPU (no AVX outside the dispatched variants)"

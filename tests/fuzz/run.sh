#!/usr/bin/env bash
# `make fuzz` / `bash tests/fuzz/run.sh [seconds]`: builds the libFuzzer target over the
# job, study, result, curves and study-directory readers and an external trainer's
# metrics.txt with clang (ASan + UBSan), replays every input in tests/fuzz/regressions/
# (each once crashed something), then fuzzes for [seconds] (default 300) starting from
# tests/fuzz/corpus/. New interesting inputs go to a scratch corpus (build-fuzz/corpus),
# not into git; `--merge` afterwards minimises them into tests/fuzz/corpus
# (`run.sh 0 --merge`: merge what an earlier run found, without fuzzing again). A crash
# leaves its input in build-fuzz/ and exits nonzero. FUZZ_JOBS=1: compile one file at a time.
#
# Allocation guard: -malloc_limit_mb makes any single allocation above 256 MB a failure,
# so "a hostile file makes us allocate gigabytes" is a finding, not a slow run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=300
MERGE=0
for arg in "$@"; do
    case "$arg" in
        --merge) MERGE=1 ;;
        ''|*[!0-9]*) echo "usage: tests/fuzz/run.sh [seconds] [--merge]" >&2; exit 2 ;;
        *) SECONDS_TO_RUN=$arg ;;
    esac
done

OUT=build-fuzz
mkdir -p "$OUT/obj" "$OUT/corpus"
# Debian's clang needs libclang-rt-<version>-dev for libFuzzer and the sanitizer runtimes.
if ! command -v clang++ >/dev/null || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
        clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
    echo "fuzz: clang++ with libFuzzer missing; installing clang and libclang-rt-14-dev" >&2
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
fi
# The flags are the Makefile's (FUZZ_CXXFLAGS; `make fuzz` passes them).
FLAGS="${FUZZ_CXXFLAGS:?run it as make fuzz (the compiler flags come from the Makefile)}"
# Every reader of the study directory: common, search, protocol (all of it, the slurm
# script generator aside), the job builder (with the trainer parameters and the data-set
# shapes it checks a model against at load) and the checkpoint decoder.
SRCS="$(ls src/common/*.cpp src/search/*.cpp src/protocol/*.cpp | grep -v slurm_script) \
      $(ls src/data/*.cpp) src/orchestration/job_builder.cpp src/orchestration/trainer_params.cpp src/engine/model_spec.cpp src/engine/checkpoint.cpp src/engine/instruments.cpp src/engine/cpu_dispatch.cpp src/engine/loss.cpp src/trainer/metrics_file.cpp"
# FUZZ_JOBS=1 compiles one file at a time (on a shared machine); default: one per core.
JOBS=${FUZZ_JOBS:-$(nproc)}
OBJS=()
for s in $SRCS; do
    o="$OUT/obj/$(echo "$s" | tr / _).o"
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find include -newer "$o" -name '*.hpp' | head -1)" ]; then
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
        clang++ $FLAGS -c "$s" -o "$o" &
    fi
    OBJS+=("$o")
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n; done
clang++ $FLAGS ${FUZZ_LDFLAGS:?run it as make fuzz} tests/fuzz/fuzz_parsers.cpp "${OBJS[@]}" -o "$OUT/fuzz_parsers"

RUN_FLAGS=(-malloc_limit_mb=256 -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1)
echo "fuzz: replaying $(ls tests/fuzz/regressions | grep -vc README) regression inputs"
if ls tests/fuzz/regressions/* 2>/dev/null | grep -qv README; then
    "$OUT/fuzz_parsers" "${RUN_FLAGS[@]}" $(ls tests/fuzz/regressions/* | grep -v README)
fi
# 0 seconds: no fuzzing (libFuzzer would read -max_total_time=0 as "forever"), e.g. to
# only `--merge` what an earlier run found.
if [ "$SECONDS_TO_RUN" -gt 0 ]; then
    echo "fuzz: fuzzing for ${SECONDS_TO_RUN} s"
    "$OUT/fuzz_parsers" "${RUN_FLAGS[@]}" -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$OUT/" \
        "$OUT/corpus" tests/fuzz/corpus
fi
if [ "$MERGE" = 1 ]; then
    rm -rf "$OUT/merged"
    mkdir -p "$OUT/merged"
    "$OUT/fuzz_parsers" "${RUN_FLAGS[@]}" -merge=1 "$OUT/merged" tests/fuzz/corpus "$OUT/corpus"
    rm -f tests/fuzz/corpus/*
    cp "$OUT/merged"/* tests/fuzz/corpus/
    echo "fuzz: tests/fuzz/corpus now holds $(ls tests/fuzz/corpus | wc -l) inputs"
fi

#!/usr/bin/env bash
# `make stress` (full size) / `make test` -> `bash tests/stress/run.sh --quick` (< 3 min on
# 2 cores). Runs the reliability scenarios of tests/stress/stress.py against the built
# hpo-master / hpo-worker (HPOSYNC_BIN, default build/bin). Extra arguments are passed on
# (--only NAME..., --keep). Exit status nonzero on any violation.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tools/py tests/stress/stress.py --bin "${HPOSYNC_BIN:-build/bin}" "$@"

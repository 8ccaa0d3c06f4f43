#!/usr/bin/env bash
# make lock: re-resolves requirements/<group>.in into requirements/<group>.lock, with every
# file's sha256 (uv pip compile --generate-hashes), for CPython 3.11 on x86-64 Linux. Each
# group is resolved against the ones before it (-c), so a package shared by two groups has
# one version. uv is a tool for making the locks only; installs use plain pip.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool/venv"
"$tool/venv/bin/python" -m pip install --quiet uv
uv=("$tool/venv/bin/uv" pip compile --quiet --generate-hashes --python-version 3.11
    --python-platform x86_64-manylinux_2_28)
"${uv[@]}" requirements/main.in -o requirements/main.lock
# triton (1 GB) serves only torch.compile, which `make bench` alone uses: the bench group
# has it, the torch group (what `make test` installs) does not; torch imports without it.
"${uv[@]}" --no-emit-package triton requirements/torch.in -c requirements/main.lock \
    -o requirements/torch.lock
"${uv[@]}" requirements/bench.in -c requirements/main.lock -c requirements/torch.lock \
    --override requirements/bench-overrides.txt -o requirements/bench.lock
"${uv[@]}" requirements/optuna3.in -c requirements/main.lock -o requirements/optuna3.lock
git --no-pager diff --stat requirements/

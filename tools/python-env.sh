#!/usr/bin/env bash
# make deps / deps-torch / deps-bench: builds the project's Python environment (.venv) from
# the hashed lock files requirements/<group>.lock, one group per argument (main first).
#
#   bash tools/python-env.sh main [torch] [bench]     # install what is missing
#   bash tools/python-env.sh --check main torch        # exit 0 iff those groups are complete
#   bash tools/python-env.sh --optional main torch     # make test: skip torch if the disk is short
#
# Disk: PyPI's torch needs about 5 GB (its CUDA wheels; see requirements/torch.in). Each
# group's need is checked before anything is installed: short of it, the group is refused
# with the free and needed space named, leaving the environment as it was. With --optional,
# a group after main that does not fit (keeping RESERVE_MB free for the build and tests) is
# skipped instead: the reason goes to .venv/hposync-skipped/<group>, and the tests that need
# the group report SKIPPED with it (`make test` prints it last). Only lack of disk is excused.
#
# Installer: plain pip in the environment, `--require-hashes --no-deps --only-binary :all:`:
# every file is pinned by version and sha256, nothing is resolved at install time, and no
# package's build script runs. Exception: the bench group's peers include packages PyPI has
# only as source (pynisher, SMAC3's dependency), so that group alone may build sdists. The locks are made by `make lock` (uv pip compile).
# A group is complete when .venv/hposync-groups/<group> holds its lock's sha256; the stamp is
# written last, so an interrupted install is detected. A changed lock, a changed base
# interpreter or a half-built environment rebuilds .venv from scratch (an environment always
# equals its locks: nothing left over from an older lock).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${HPOSYNC_VENV:-$root/.venv}
stamps=$venv/hposync-groups
skipped=$venv/hposync-skipped
check_only=0 optional=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
if [ "${1:-}" = "--optional" ]; then optional=1; shift; fi
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(main)
[ "${groups[0]}" = main ] || groups=(main "${groups[@]}")

lock_sum() { sha256sum "requirements/$1.lock" | cut -d' ' -f1; }
group_ok() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$(lock_sum "$1")" ]; }
all_ok() { for g in "${groups[@]}"; do group_ok "$g" || return 1; done; }

if [ $check_only = 1 ]; then all_ok; exit; fi
if all_ok; then exit 0; fi   # the second `make deps`: a few stat calls

# The locks are for CPython 3.11 on x86-64 Linux. Which interpreter the environment is made
# from: HPOSYNC_BASE_PYTHON, else the first python3.11 / python3 on PATH that has venv and
# ensurepip (pyenv's on these machines), else Debian's with python3-venv installed.
find_base() {
  local c
  for c in ${HPOSYNC_BASE_PYTHON:-} python3.11 python3 /usr/bin/python3; do
    command -v "$c" >/dev/null 2>&1 || continue
    "$c" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || continue
    command -v "$c"; return 0
  done
  return 1
}
if ! base=$(find_base); then
  echo "python-env: no CPython 3.11 with venv on PATH: installing Debian's python3-venv"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  base=$(find_base) || { echo "python-env: still no CPython 3.11 with venv" >&2; exit 1; }
fi
base_id="$("$base" -c 'import sys; print(sys.version.split()[0], sys.base_prefix)')"

# One builder at a time (make -j, two terminals): the others wait, then find it done.
exec 9>"$root/.venv.lock"
flock 9
if all_ok; then exit 0; fi

rebuild=0
if [ ! -f "$stamps/base" ] || [ "$(cat "$stamps/base")" != "$base_id" ]; then rebuild=1; fi
for f in "$stamps"/*; do   # an installed group whose lock changed since
  g=$(basename "$f")
  [ -e "$f" ] && [ "$g" != base ] && { [ -f "requirements/$g.lock" ] && group_ok "$g" || rebuild=1; }
done
wanted=("${groups[@]}")
if [ $rebuild = 1 ]; then
  if [ -d "$venv" ]; then
    echo "python-env: $venv is half-built or out of date: rebuilding it"
    # keep the groups it had, so a rebuild does not silently drop torch or the bench peers
    for f in "$stamps"/*; do
      g=$(basename "$f"); [ -e "$f" ] && [ "$g" != base ] && [ -f "requirements/$g.lock" ] && wanted+=("$g")
    done
    rm -rf "$venv"
  fi
  echo "python-env: creating $venv from $base ($base_id)"
  "$base" -m venv "$venv"
  mkdir -p "$stamps"
  echo "$base_id" > "$stamps/base"
fi

# Free disk each group needs while it installs, in MB: its installed size (measured on
# 2026-12-07: main 0.8 GB, torch 4.4 GB, bench 1.5 GB with triton) plus its largest wheel,
# which sits in pip's temporary folder while it is unpacked, plus 10 %.
declare -A need_mb=([main]=1300 [torch]=5600 [bench]=2400 [optuna3]=400)
RESERVE_MB=${HPOSYNC_DISK_RESERVE_MB:-3000}   # --optional: left for the build and the tests
free_mb() { df -Pm "$(dirname "$venv")" | awk 'NR == 2 { print $4 }'; }

# One pip call per locked package, without pip's cache. One call for a whole group keeps
# every wheel it downloaded until it ends, and the cache keeps a second copy: the torch
# group then needed about twice its installed size free (CI ran out of disk there).
install_group() {
  local g=$1 parts entry
  parts=$(mktemp -d)
  awk -v d="$parts" '/^[A-Za-z0-9]/ { n++; f = sprintf("%s/%03d.txt", d, n) }
                     n && !/^ *#/ { print > f }' "requirements/$g.lock"
  binary=(--only-binary :all:); [ "$g" = bench ] && binary=(--prefer-binary)
  for entry in "$parts"/*.txt; do
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --no-cache-dir --require-hashes --no-deps "${binary[@]}" -r "$entry" ||
      { rm -rf "$parts"; return 1; }
  done
  rm -rf "$parts"
}

declare -A seen=()
for g in "${wanted[@]}"; do
  [ -n "${seen[$g]:-}" ] && continue
  group_ok "$g" && { seen[$g]=1; continue; }
  have=$(free_mb) need=${need_mb[$g]:-1000}
  if [ $optional = 1 ] && [ "$g" != main ] && [ "$have" -lt $(( need + RESERVE_MB )) ]; then
    mkdir -p "$skipped"
    echo "the disk holding $venv has $have MB free; group '$g' needs $need MB plus $RESERVE_MB MB" \
         "left for the build and tests" > "$skipped/$g"
    echo "python-env: SKIPPING group '$g': $(cat "$skipped/$g")" >&2
    continue
  fi
  if [ "$have" -lt "$need" ]; then
    echo "python-env: group '$g' needs about $need MB free on the disk holding $venv;" \
         "$have MB free. Nothing was installed." >&2
    exit 1
  fi
  seen[$g]=1
  echo "python-env: installing group '$g' from requirements/$g.lock"
  t0=$(date +%s)
  rm -f "$stamps/$g" "$skipped/$g"
  install_group "$g"
  lock_sum "$g" > "$stamps/$g.tmp" && mv "$stamps/$g.tmp" "$stamps/$g"
  echo "python-env: group '$g' installed in $(( $(date +%s) - t0 )) s"
done
"$venv/bin/python" "$root/tools/python_versions.py" "${!seen[@]}"

#!/usr/bin/env bash
# make deps / deps-torch / deps-bench: builds the project's Python environment (.venv) from
# the hashed lock files requirements/<group>.lock, one group per argument (main first).
#
#   bash tools/python-env.sh main [torch] [bench]     # install what is missing
#   bash tools/python-env.sh --check main torch        # exit 0 iff those groups are complete
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
check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
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

declare -A seen=()
for g in "${wanted[@]}"; do
  [ -n "${seen[$g]:-}" ] && continue; seen[$g]=1
  group_ok "$g" && continue
  echo "python-env: installing group '$g' from requirements/$g.lock"
  t0=$(date +%s)
  rm -f "$stamps/$g"
  binary=(--only-binary :all:); [ "$g" = bench ] && binary=(--prefer-binary)
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --require-hashes --no-deps "${binary[@]}" -r "requirements/$g.lock"
  lock_sum "$g" > "$stamps/$g.tmp" && mv "$stamps/$g.tmp" "$stamps/$g"
  echo "python-env: group '$g' installed in $(( $(date +%s) - t0 )) s"
done
"$venv/bin/python" "$root/tools/python_versions.py" "${!seen[@]}"

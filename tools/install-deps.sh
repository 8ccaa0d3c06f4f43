#!/usr/bin/env bash
# Installs the Debian packages hposync needs; does nothing when all are present.
# Idempotent and non-interactive, so `make test` and `make demo` can always call it.
set -euo pipefail
pkgs=(g++ make libboost-filesystem-dev libboost-program-options-dev libeigen3-dev
      libdnnl-dev libtbb-dev doctest-dev zlib1g-dev gnuplot-nox dataset-fashion-mnist
      procps)
# No python3-* packages: the Python side comes from PyPI's hashed locks (tools/python-env.sh),
# which installs Debian's python3-venv only where no CPython 3.11 with venv is on PATH.
pkgs+=(qemu-user binutils)  # tests/cluster/portability.sh: an emulated pre-AVX CPU, objdump
pkgs+=(chromium)  # hpo-report's browser test (headless, file://)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "install-deps: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

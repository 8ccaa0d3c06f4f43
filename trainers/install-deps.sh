#!/usr/bin/env bash
# make trainers-deps: the Debian packages the shipped Python trainers need (PyTorch and
# scikit-learn, both packaged in Debian 12; numpy comes with them). Installs only what
# dpkg does not already list as installed.
set -euo pipefail
want=(python3 python3-numpy python3-torch python3-sklearn)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "trainers-deps: all present (${want[*]})"; exit 0; fi
echo "trainers-deps: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

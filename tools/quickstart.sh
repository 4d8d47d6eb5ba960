#!/usr/bin/env bash
# Installs dependencies, builds soma, and trains configs/quickstart.yaml on the bundled N-MNIST
# subset; ends with the test accuracy and the checkpoint's path. Extra arguments go to
# `soma train` (e.g. --set train.epochs=2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
BUILD_DIR=${SOMA_BUILD_DIR:-build}
exec "$BUILD_DIR/bin/soma" train configs/quickstart.yaml "$@"

#!/usr/bin/env bash
# Installs dependencies, builds soma and runs the whole test suite (what .ci/run runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
BUILD_DIR=${SOMA_BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 1200 "$@"

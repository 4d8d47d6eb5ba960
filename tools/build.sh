#!/usr/bin/env bash
# Configures and builds soma (Release) in build/; incremental and fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SOMA_BUILD_DIR:-build}
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"

#!/usr/bin/env bash
# Installs the Debian 12 packages soma needs (as root). Idempotent: when every package is
# already installed it returns at once without touching apt.
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config
  libeigen3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libhdf5-dev catch2
  zlib1g-dev liblz4-dev libzstd-dev libopenmpi-dev openmpi-bin
  slurm-wlm munge  # the Slurm tests (tests/slurm) run a one-machine cluster; ~3.5 MB
  libdnnl-dev
  python3 python3-numpy python3-h5py
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "soma: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

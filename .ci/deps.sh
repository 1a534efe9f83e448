#!/usr/bin/env bash
# Installs ftrace's build and test dependencies from Debian's packages (idempotent, fast when
# everything is present). Needs root (or sudo).
set -euo pipefail
pkgs=(cmake g++ make pkg-config python3 python3-dev python3-pytest pybind11-dev
      libflatbuffers-dev flatbuffers-compiler liblz4-dev lz4 nlohmann-json3-dev libcli11-dev
      libgtest-dev googletest zlib1g-dev libdeflate-dev clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ftrace: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

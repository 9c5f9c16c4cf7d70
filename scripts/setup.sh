#!/usr/bin/env bash
# Installs everything anvil needs on Debian 12: compilers and libraries from apt, the test
# oracles (h11, hdrhistogram, ...) into the project venv at .venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev zlib1g-dev liburing-dev
  libgtest-dev googletest libbenchmark-dev libhttp-parser-dev libtomlplusplus-dev
  libsqlite3-dev libxxhash-dev python3 python3-venv wrk nginx-light
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt

#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the release and the ASan+UBSan builds,
# and runs every test (GoogleTest via CTest, corpus replays, Python oracle and end-to-end tests)
# in both. Exit status is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-peers.sh
jobs=$(nproc)

for preset in release asan; do
  echo "== build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test: $preset"
  ctest --preset "$preset" -j "$jobs" --timeout 600
done

#!/usr/bin/env bash
# The whole test suite: installs what it needs; fuzzes every parser briefly from its corpus
# (clang + libFuzzer); then builds the release and the ASan+UBSan builds and runs every test in
# both (GoogleTest via CTest, corpus replays, Python oracle and end-to-end tests). Exit status
# is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-peers.sh
jobs=$(nproc)

# New fuzz inputs go to a scratch directory; a crash fails the run and shows its log.
echo "== fuzz: build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in build-fuzz/*_fuzz; do
  name=$(basename "$target")
  mkdir -p "$scratch/$name"
  echo "== fuzz: $name for ${ANVIL_FUZZ_SECONDS:-20}s"
  set +e
  "$target" -max_total_time="${ANVIL_FUZZ_SECONDS:-20}" -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch/$name" "fuzz/corpus/${name%_fuzz}" >"$scratch/$name.log" 2>&1
  rc=$?
  set -e
  grep -E 'stat::number_of_executed_units' "$scratch/$name.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$scratch/$name.log"
    echo "fuzz: $name failed (exit $rc)"
    exit 1
  fi
done

for preset in release asan; do
  echo "== build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test: $preset"
  ctest --preset "$preset" -j "$jobs" --timeout 600
done

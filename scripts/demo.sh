#!/usr/bin/env bash
# The main job on its embedded default: installs dependencies, builds anvil, starts a local
# nginx and measures it with `anvil load` and wrk side by side, printing the table.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec .venv/bin/python bench/compare_clients.py --duration "${ANVIL_DEMO_SECONDS:-5}" --trials "${ANVIL_DEMO_TRIALS:-2}" "$@"

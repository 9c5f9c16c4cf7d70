#!/usr/bin/env bash
# The main job on its embedded default: installs dependencies, builds anvil, then, on loopback
# with client and server pinned apart, (1) measures a local nginx with `anvil load` and wrk side
# by side, and (2) benchmarks anvil's ETL servers against the peers of the published AIStore ETL
# comparison (Go net/http, FastAPI, the aistore[etl] SDK server, nginx), printing both tables.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-peers.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
seconds=${ANVIL_DEMO_SECONDS:-4}
.venv/bin/python bench/compare_clients.py --duration "$seconds" --trials "${ANVIL_DEMO_TRIALS:-2}"
exec .venv/bin/python bench/etl_servers.py --duration "$seconds" --trials 1 --sizes 4,65536 \
  anvil-hello anvil-echo go-http nginx fastapi-uvicorn aistore-fastapi-hello flask-gunicorn python-http

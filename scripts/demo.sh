#!/usr/bin/env bash
# The main job on its embedded default: installs dependencies and the peer servers, builds
# anvil, then runs the AIStore ETL server comparison (suites/etl-servers.toml) as a quick smoke
# run: anvil's ETL server, Go net/http, FastAPI, Flask, Python's http.server, the real
# aistore[etl] SDK servers and nginx, each started fresh, verified, and measured under anvil
# load, wrk and Locust with server and client pinned apart. Prints the results table; every
# run is kept in demo.db (`build/anvil results --db demo.db`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-peers.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec build/anvil run suites/etl-servers.toml --quick --db "${ANVIL_DEMO_DB:-demo.db}"

#!/usr/bin/env bash
# Builds peers/bin/aistore-go-echo: echo.go on the aistore Go ETL framework, from a local
# aistore source tree (a clone of github.com/NVIDIA/aistore). The Go module proxy answers 403 for
# that module, so `go get` cannot fetch it; its own dependencies come from the proxy as usual.
# Needs the Go version aistore's go.mod names (1.26 as of 2026-08). Usage:
#   peers/aistore-go/build.sh /path/to/aistore
set -euo pipefail
src=${1:?usage: $0 AISTORE_SOURCE_DIR}
src=$(cd "$src" && pwd)
[ -f "$src/ext/etl/webserver/webserver.go" ] || { echo "$src has no ext/etl/webserver" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$here/echo.go" "$scratch/"
cat >"$scratch/go.mod" <<MOD
module aistore-go-echo

go 1.26

require github.com/NVIDIA/aistore v1.4.0

replace github.com/NVIDIA/aistore => $src
MOD
mkdir -p "$here/../bin"
(cd "$scratch" && go mod tidy && go build -trimpath -o "$here/../bin/aistore-go-echo" .)
echo "built $here/../bin/aistore-go-echo ($(git -C "$src" rev-parse HEAD 2>/dev/null || echo 'unknown commit'))"

#!/usr/bin/env bash
# Installs the peer servers of the AIStore ETL comparison (peers/README.md): the Python peers
# into the project venv (.venv), the Go peers into peers/bin/, and checks that nginx is there.
# Quiet and safe to run again; exits non-zero with one clear message on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "setup-peers: $*" >&2
  exit 1
}

[ -x .venv/bin/python ] || fail ".venv missing: run scripts/setup.sh first"

# pip's own check is quick when everything is already pinned and present.
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -r peers/requirements.txt \
  >/tmp/setup-peers-pip.$$ 2>&1; then
  cat /tmp/setup-peers-pip.$$ >&2
  rm -f /tmp/setup-peers-pip.$$
  fail "pip install -r peers/requirements.txt failed"
fi
rm -f /tmp/setup-peers-pip.$$

if ! command -v go >/dev/null; then
  # A fresh Debian 12 has no Go; its golang-go builds this standard-library-only peer.
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends golang-go >/dev/null ||
    fail "go toolchain not found and golang-go did not install (needed for peers/go-http)"
fi
mkdir -p peers/bin
# Standard library only: builds offline. go build skips work when nothing changed.
(cd peers/go-http && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o ../bin/go-http .) ||
  fail "go build of peers/go-http failed"

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || fail "nginx not found: apt-get install nginx-light (scripts/setup.sh does)"

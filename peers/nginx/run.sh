#!/usr/bin/env bash
# Runs the nginx reference peer in the foreground: run.sh PORT [HOST] [WORKERS].
# Config and logs go to a private temp directory, removed when nginx exits. Stop it with
# SIGTERM/SIGINT to this script (or to its process group).
set -euo pipefail
port=${1:-${PORT:-}}
host=${2:-${HOST:-127.0.0.1}}
workers=${3:-${WORKERS:-2}}
if [[ ! $port =~ ^[0-9]+$ ]]; then
  echo "usage: $0 PORT [HOST] [WORKERS]" >&2
  exit 2
fi
nginx_bin=$(command -v nginx || true)
[ -n "$nginx_bin" ] || nginx_bin=/usr/sbin/nginx
if [ ! -x "$nginx_bin" ]; then
  echo "run.sh: nginx not found (apt-get install nginx-light)" >&2
  exit 127
fi
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(mktemp -d "${TMPDIR:-/tmp}/anvil-nginx.XXXXXX")
chmod 755 "$prefix"
sed -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" \
  -e "s|@PREFIX@|$prefix|g" "$here/nginx.conf.template" >"$prefix/nginx.conf"

"$nginx_bin" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop TERM INT
status=0
wait "$pid" || status=$?
# `wait` returns early when a trapped signal arrives; wait again for nginx to finish.
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || status=$?; done
rm -rf "$prefix"
exit "$status"

#!/usr/bin/env bash
# Seconds from `git clone` to the first page `make run` serves (the sign-in page answering 200).
#
#   bench/first_run.sh [REPO] [warm|cold]
#
# REPO defaults to this repository (its committed HEAD is cloned). "cold" gives pip and uv fresh,
# empty caches (PIP_CACHE_DIR, UV_CACHE_DIR) so every package is downloaded and any wheel built
# again; "warm" uses the machine's caches as they are. Not part of `make bench`: one run takes minutes.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
mode=${2:-warm}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$mode" = cold ]; then
  export PIP_CACHE_DIR="$tmp/pip-cache" UV_CACHE_DIR="$tmp/uv-cache"
fi
unset DATABASE_URL
start=$(date +%s.%N)
git clone -q "$src" "$tmp/diversion"
cd "$tmp/diversion"
setsid make run PORT="$port" >"$tmp/run.log" 2>&1 &
pid=$!
stop() { kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "make run stopped before serving; its log: $tmp/run.log" >&2
    tail -20 "$tmp/run.log" >&2
    exit 1
  fi
  sleep 0.5
done
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" -v m="$mode" 'BEGIN { printf "first page after %.1f s (%s pip cache)\n", b - a, m }'
stop
trap - EXIT
rm -rf "$tmp"

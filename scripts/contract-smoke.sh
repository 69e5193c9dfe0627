#!/usr/bin/env bash
# Starts the release-less debug binary on a throwaway SQLite database and runs the shared
# contract smoke test (../shared/conformance/contract_smoke.py) against it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke="$root/../shared/conformance/contract_smoke.py"
if [ ! -f "$smoke" ]; then
  echo "contract-smoke: $smoke not found; skipping" >&2
  exit 0
fi
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --bin suiteplan
dir=$(mktemp -d)
key="smoke-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY=$key SUITEPLAN__LOG__FORMAT=json \
  "$target/debug/suiteplan" serve --bind 127.0.0.1:0 --database-url "sqlite://$dir/smoke.db" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o 'listening on http://[0-9.:]*' "$dir/log" | head -1 | sed 's/listening on //') || true
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "contract-smoke: server did not start" >&2; cat "$dir/log" >&2; exit 1; }
python3 "$smoke" "$addr" "$key" ${SMOKE_ONLY:+--only "$SMOKE_ONLY"}

#!/usr/bin/env bash
# Booking load benchmark with wrk (Debian's package) against the release build.
#   [SUITES=N] [BIN=path] scripts/bench-bookings.sh sqlite|postgres [SECONDS] [CONNECTIONS]
# Seeds one site, SUITES (default 1) 60-line autologous suites, one program, then runs 32
# connections of booking creation (mostly non-conflicting; a random suite each) and of two-year
# availability queries. BIN runs another build (e.g. an older commit's) instead of this one.
set -euo pipefail
backend=${1:-sqlite}; secs=${2:-15}; conns=${3:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/suiteplan-target}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bin=${BIN:-$CARGO_TARGET_DIR/release/suiteplan}
[ -n "${BIN:-}" ] || (cd "$root" && cargo build --release --quiet --bin suiteplan)
nsuites=${SUITES:-1}
dir=$(mktemp -d)
case $backend in
  sqlite) url="sqlite://$dir/bench.db" ;;
  postgres) db="sp_bench_$$"; psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"; url="postgres://postgres@127.0.0.1:5432/$db" ;;
  *) echo "sqlite or postgres" >&2; exit 2 ;;
esac
key="bench-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY=$key SUITEPLAN__LOG__FILTER=warn,suiteplan::startup=info SUITEPLAN__DATABASE__MAX_CONNECTIONS=${POOL:-8} \
  "$bin" serve --bind 127.0.0.1:0 --database-url "$url" 2>"$dir/log" &
pid=$!
cleanup() {
  kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  [ "$backend" = postgres ] && psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db" || true
  rm -rf "$dir"
}
trap cleanup EXIT
echo "server pid $pid" >&2
for _ in $(seq 1 100); do grep -q 'listening on' "$dir/log" 2>/dev/null && break; sleep 0.1; done
base=http://$(grep -o 'listening on http://[0-9.:]*' "$dir/log" | head -1 | sed 's|listening on http://||')
post() { curl -sf "$base$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$2"; }
id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
site=$(post /v1/sites '{"name":"Bench","timezone":"UTC"}' | id)
suite=""
for i in $(seq 1 "$nsuites"); do
  s=$(post /v1/suites "{\"site_id\":\"$site\",\"name\":\"B$i\",\"grade\":\"B\",\"capabilities\":[\"autologous\"],\"lines\":60,\"available_from\":\"2026-01-01\",\"available_to\":null}" | id)
  suite=${suite:+$suite,}$s
done
client=$(post /v1/clients '{"name":"Bench client"}' | id)
program=$(post /v1/programs "{\"client_id\":\"$client\",\"name\":\"P\",\"modality\":\"autologous\",\"storage\":\"fresh\",\"atmp\":true,\"phase\":\"phase1\",\"required_capabilities\":[\"autologous\"],\"min_grade\":\"B\",\"batch_days\":2,\"changeover_days\":1}" | id)
echo "== $backend: POST /v1/bookings, $nsuites suite(s), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$root/scripts/wrk/book.lua" "$base" -- "$key" "$program" "$suite"
echo "== $backend: GET /v1/availability (2 years, $(curl -sf "$base/v1/bookings?limit=1000" -H "Authorization: Bearer $key" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')+ bookings on file), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$root/scripts/wrk/availability.lua" "$base" -- "$key"

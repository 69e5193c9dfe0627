#!/usr/bin/env bash
# Booking load benchmark with wrk (Debian's package) against the release build.
#   [SUITES=N] [BIN=path] [MODE=both|bookings|availability] [SEED=N]
#     scripts/bench-bookings.sh sqlite|postgres [SECONDS] [CONNECTIONS]
# MODE=availability measures availability alone on a calendar seeded with SEED (default 1300)
# bookings inside the two-year window, so that its figure does not depend on how many bookings
# the booking run managed to make.
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
. "$root/scripts/listening.sh"
base=$(listening_addr "$dir/log" "$pid" 10 bench-bookings)
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
mode=${MODE:-both}
if [ "$mode" != availability ]; then
echo "== $backend: POST /v1/bookings, $nsuites suite(s), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$root/scripts/wrk/book.lua" "$base" -- "$key" "$program" "$suite"
fi
if [ "$mode" = availability ]; then
  python3 - "$base" "$key" "$program" "${suite%%,*}" "${SEED:-1300}" <<'PY'
import json, random, sys, urllib.request, datetime
base, key, program, suite, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
day0 = datetime.date(2030, 1, 1)
made = 0
while made < n:
    d = day0 + datetime.timedelta(days=random.randrange(0, 727))
    body = json.dumps({"program_id": program, "suite_id": suite, "line": None, "start": str(d),
                       "end": str(d + datetime.timedelta(days=3)), "status": "confirmed",
                       "hold_expires_at": None, "note": None}).encode()
    req = urllib.request.Request(base + "/v1/bookings", body, {"Authorization": "Bearer " + key,
                                 "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req).read()
        made += 1
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
PY
fi
if [ "$mode" != bookings ]; then
in_window=$(python3 - "$base" "$key" <<'PY'
import json, sys, urllib.request
base, key = sys.argv[1], sys.argv[2]
n, cursor = 0, ""
while True:
    url = base + "/v1/bookings?from=2030-01-01&to=2032-01-01&limit=1000" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + key})))
    n += len(page["items"])
    cursor = page.get("next_cursor")
    if not cursor:
        break
print(n)
PY
)
echo "== $backend: GET /v1/availability (2 years, $in_window bookings in the window), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$root/scripts/wrk/availability.lua" "$base" -- "$key"
fi

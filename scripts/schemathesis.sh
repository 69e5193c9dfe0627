#!/usr/bin/env bash
# Holds the server to its OpenAPI document: starts the debug binary with the demo data on a
# throwaway SQLite database and runs Schemathesis (the version scripts/setup.sh --test pins and
# installs in $SUITEPLAN_VENV, default ~/.cache/suiteplan-venv) against /openapi.json with an
# admin key, every check and the examples, coverage and fuzzing phases. Any failure fails the
# script, and `make test` with it.
#
# What is configured, and why, is in scripts/schemathesis.toml; no check is switched off and no
# operation is left out. The run is reproducible and bounded: one worker, a fixed seed,
# ST_MAX_EXAMPLES cases per operation in the fuzzing phase (default 150: about 8,700 requests
# with the coverage phase's own, 2½ minutes on two cores); one worker keeps the order of the
# requests, and so the run, the same from one time to the next. ST_SEED picks another seed,
# ST_ARGS passes more options to `st run` (e.g. ST_ARGS="--include-path /v1/sites" while working
# on one operation).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SUITEPLAN_VENV:-$HOME/.cache/suiteplan-venv}
st="$venv/bin/st"
[ -x "$st" ] || {
  echo "schemathesis: $st not found; run scripts/setup.sh --test" >&2
  exit 1
}
target=${CARGO_TARGET_DIR:-$root/target}
# With the same targets as `cargo test --workspace`, so that features unify the same way and the
# binary the tests already built is reused (a lone `--bin` build would compile HiGHS again).
cargo build --quiet --workspace --all-targets
dir=$(mktemp -d)
key="st-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# Schemathesis sends thousands of requests from one key and, on purpose, many without a valid key
# (the ignored_auth check, the coverage phase's missing-header cases): this server alone gets the
# failed-authentication limit lifted, so that each request is answered on its merits rather than
# 429 (which the document declares, but which would hide what the request deserved). The per-key
# limit's default is already far above what one run sends.
(
  cd "$dir"
  exec env SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY="$key" \
    SUITEPLAN__RATELIMIT__FAILED_AUTH_PER_MINUTE=1000000 \
    SUITEPLAN__RATELIMIT__FAILED_AUTH_BURST=1000000 \
    SUITEPLAN__LOG__FORMAT=json SUITEPLAN__LOG__FILTER="warn,suiteplan::startup=info" \
    "$target/debug/suiteplan" serve --demo --bind 127.0.0.1:0 \
    --database-url "sqlite://$dir/st.db" >"$dir/out" 2>"$dir/log"
) &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
. "$root/scripts/listening.sh"
addr=$(listening_addr "$dir/log" "$pid" 30 schemathesis)
echo "schemathesis: $("$st" --version) against $addr (demo data)" >&2
started=$(date +%s)
status=0
# From the scratch directory: Schemathesis keeps a cache (.schemathesis/) where it runs.
cd "$dir"
# shellcheck disable=SC2086 # ST_ARGS is a list of options
"$st" --config-file "$root/scripts/schemathesis.toml" run "$addr/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks all \
  --phases examples,coverage,fuzzing \
  --max-examples "${ST_MAX_EXAMPLES:-150}" \
  --seed "${ST_SEED:-20260101}" \
  --generation-database none \
  --workers 1 \
  --no-color \
  ${ST_ARGS:-} || status=$?
echo "schemathesis: finished in $(($(date +%s) - started)) s (exit $status)" >&2
if ! kill -0 $pid 2>/dev/null; then
  echo "schemathesis: the server died during the run" >&2
  cat "$dir/log" >&2
  exit 1
fi
if [ $status -ne 0 ] && [ -s "$dir/log" ]; then
  echo "schemathesis: the server's warnings and errors (last 50 lines):" >&2
  tail -50 "$dir/log" >&2
fi
exit $status

#!/usr/bin/env bash
# Starts the debug binary on a throwaway SQLite database and runs the contract smoke test
# (../shared/conformance/contract_smoke.py, beside the repository; not part of it) against it.
#
# Where that file is absent (a plain clone), the smoke test is NOT run: the script says so
# loudly on stderr and exits 0, so that `make test` still reports the project's own tests.
# CONTRACT_SMOKE=PATH points at a copy kept elsewhere; SMOKE_ONLY=SECTION runs one section.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke="${CONTRACT_SMOKE:-$(dirname "$root")/shared/conformance/contract_smoke.py}"
shown="${CONTRACT_SMOKE:-../shared/conformance/contract_smoke.py}"
if [ ! -f "$smoke" ]; then
  {
    echo
    echo "############################################################################"
    echo "## contract smoke test NOT run: $shown not found"
    echo "## (looked for $smoke)"
    echo "## The unit, solver and API tests above ran as usual; set CONTRACT_SMOKE=PATH"
    echo "## to run the smoke test from a copy kept elsewhere."
    echo "############################################################################"
  } >&2
  exit 0
fi
command -v python3 >/dev/null 2>&1 || {
  echo "contract-smoke: python3 is needed to run $smoke (scripts/setup.sh --test installs it)" >&2
  exit 1
}
target=${CARGO_TARGET_DIR:-$root/target}
# With the same targets as `cargo test --workspace`, so that features unify the same way and the
# binary the tests already built is reused (a lone `--bin` build would compile HiGHS again).
cargo build --quiet --workspace --all-targets
dir=$(mktemp -d)
key="smoke-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY=$key SUITEPLAN__LOG__FORMAT=json \
  "$target/debug/suiteplan" serve --bind 127.0.0.1:0 --database-url "sqlite://$dir/smoke.db" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
. "$root/scripts/listening.sh"
addr=$(listening_addr "$dir/log" "$pid" 10 contract-smoke)
echo "contract-smoke: running $smoke against $addr${SMOKE_ONLY:+ (section $SMOKE_ONLY)}" >&2
python3 "$smoke" "$addr" "$key" ${SMOKE_ONLY:+--only "$SMOKE_ONLY"}

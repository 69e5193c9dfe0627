#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test suiteplan: cmake and libclang
# (HiGHS is built from source by highs-sys); with --test also Chromium (the page test), a
# Python virtualenv with Schemathesis (scripts/schemathesis.sh) and a running PostgreSQL.
# Safe to run repeatedly; does nothing that is already done.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
# bindgen needs libclang itself (a fresh image may carry only libclang-cpp, which is not enough).
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
if [ "${1:-}" = "--test" ]; then
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
  [ -x /usr/bin/chromium ] || need+=(chromium)  # the headless-browser page test...
  [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)  # ...drives it through WebDriver
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  # The tests need PostgreSQL at SUITEPLAN_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432).
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "setup: starting PostgreSQL" >&2
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 || { echo "setup: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
  # Test databases from earlier runs (each test makes its own).
  psql -h 127.0.0.1 -U postgres -d test -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sp_test_%'" 2>/dev/null |
    while read -r db; do psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
fi

if [ "${1:-}" = "--test" ]; then
  # Schemathesis checks /openapi.json against the running server (scripts/schemathesis.sh). One
  # pinned version, in a virtualenv of its own: a newer one brings new checks, which belong in a
  # change of their own.
  venv="${SUITEPLAN_VENV:-$HOME/.cache/suiteplan-venv}"
  st_version="4.32.5"
  if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $st_version"; then
    echo "setup: installing schemathesis $st_version in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
  fi
fi

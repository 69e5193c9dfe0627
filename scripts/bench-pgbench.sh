#!/usr/bin/env bash
# The PostgreSQL ceiling for a booking write, measured with pgbench beside suiteplan's own figure:
# rows inserted into a table with the bookings' kind of exclusion constraint (suite, line,
# daterange), random 3-day spans on 60 lines over 30 years.
#   scripts/bench-pgbench.sh [SECONDS] [CLIENTS] [SUITES]
# Prints tps and latency p50/p99 (from pgbench's per-transaction log).
set -euo pipefail
secs=${1:-15}; clients=${2:-32}; suites=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
db="sp_pgbench_$$"
dir=$(mktemp -d)
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
trap 'psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$dir"' EXIT
psql -h 127.0.0.1 -U postgres -d "$db" -q <<SQL
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bench_bookings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    suite integer NOT NULL,
    line integer NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    CONSTRAINT bench_no_overlap EXCLUDE USING gist (
        suite WITH =, line WITH =, daterange(starts_on, ends_on) WITH &&)
);
SQL
echo "== pgbench: exclusion-guarded inserts, $clients clients, 2 threads, $suites suite(s), ${secs}s"
(cd "$dir" && pgbench -h 127.0.0.1 -U postgres -n -c "$clients" -j 2 -T "$secs" -D suites="$suites" \
  -f "$root/scripts/pgbench/book.sql" --log --log-prefix=tx "$db" | grep -E "tps|latency average")
cat "$dir"/tx* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
  printf "p50 %.2f ms, p99 %.2f ms (%d transactions)\n", a[int(NR*0.50)]/1000, a[int(NR*0.99)]/1000, NR }'

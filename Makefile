# The two commands of the README's quick start.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/suiteplan-target
# Sections of the contract smoke test to run (empty = all of them).
SMOKE_ONLY ?=

.PHONY: demo test lint bench

## Run the service on SQLite (./suiteplan.db) with demo data; prints an admin, a planner and a client key.
demo:
	./scripts/setup.sh
	cargo run --release -- serve --demo

## The whole test suite: unit, solver and API tests on SQLite and PostgreSQL; Schemathesis against
## the real server, which must find the OpenAPI document true (scripts/schemathesis.sh); then the
## contract smoke test. The smoke test lives beside the repository
## (../shared/conformance/contract_smoke.py); where it is absent, scripts/contract-smoke.sh prints a
## loud "contract smoke test NOT run" line on stderr and the target still succeeds on the strength
## of the project's own tests.
test:
	./scripts/setup.sh --test
	cargo test --workspace
	./scripts/schemathesis.sh
	SMOKE_ONLY=$(SMOKE_ONLY) ./scripts/contract-smoke.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

bench:
	cargo run --release -p solver_models --bin bench

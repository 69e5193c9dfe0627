-- Plans: a queued solver job, its lease while a worker runs it, and its results (immutable once
-- done). Result rows are written in chunks while the plan is `running` and are only shown once
-- the final transaction flips it to `done`; a re-run after a lost lease deletes them first.

CREATE TABLE plans (
    id BLOB PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    scenario TEXT NOT NULL CHECK (scenario IN ('committed', 'expected', 'maximum')),
    horizon_from TEXT NOT NULL,
    horizon_to TEXT NOT NULL,
    program_ids TEXT,
    time_limit_s REAL,
    created_by BLOB,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    lease_owner TEXT,
    lease_expires_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    error TEXT,
    summary TEXT,
    CHECK (horizon_to > horizon_from)
);
CREATE INDEX plans_status_idx ON plans (status, created_at);
CREATE INDEX plans_scenario_done_idx ON plans (scenario, status, finished_at);

CREATE TABLE plan_suggestions (
    id BLOB PRIMARY KEY,
    plan_id BLOB NOT NULL REFERENCES plans (id),
    seq INTEGER NOT NULL,
    program_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    suite_id BLOB NOT NULL,
    line INTEGER NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    month TEXT NOT NULL
);
CREATE INDEX plan_suggestions_plan_idx ON plan_suggestions (plan_id, seq);

CREATE TABLE plan_shortfalls (
    plan_id BLOB NOT NULL REFERENCES plans (id),
    seq INTEGER NOT NULL,
    program_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    month TEXT NOT NULL,
    phase TEXT NOT NULL,
    demand INTEGER NOT NULL,
    booked INTEGER NOT NULL,
    planned INTEGER NOT NULL,
    shortfall INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE plan_utilization (
    plan_id BLOB NOT NULL REFERENCES plans (id),
    seq INTEGER NOT NULL,
    suite_id BLOB NOT NULL,
    month TEXT NOT NULL,
    open_line_days INTEGER NOT NULL,
    booked_line_days INTEGER NOT NULL,
    planned_line_days INTEGER NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

-- Per-program totals, so that a client's view of the objective covers only its own programs.
CREATE TABLE plan_programs (
    plan_id BLOB NOT NULL REFERENCES plans (id),
    program_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    demand_batches INTEGER NOT NULL,
    served_batches INTEGER NOT NULL,
    demand_weighted REAL NOT NULL,
    served_weighted REAL NOT NULL,
    PRIMARY KEY (plan_id, program_id)
);

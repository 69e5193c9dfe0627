-- Plans: a queued solver job, its lease while a worker runs it, and its results (immutable once
-- done). Result rows are written in chunks while the plan is `running` and are only shown once
-- the final transaction flips it to `done`; a re-run after a lost lease deletes them first.

CREATE TABLE plans (
    id uuid PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    scenario text NOT NULL CHECK (scenario IN ('committed', 'expected', 'maximum')),
    horizon_from date NOT NULL,
    horizon_to date NOT NULL,
    program_ids jsonb,
    time_limit_s double precision,
    created_by uuid,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    lease_owner text,
    lease_expires_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    progress text,
    error text,
    summary jsonb,
    CHECK (horizon_to > horizon_from)
);
CREATE INDEX plans_status_idx ON plans (status, created_at);
CREATE INDEX plans_scenario_done_idx ON plans (scenario, status, finished_at);

CREATE TABLE plan_suggestions (
    id uuid PRIMARY KEY,
    plan_id uuid NOT NULL REFERENCES plans (id),
    seq integer NOT NULL,
    program_id uuid NOT NULL,
    client_id uuid NOT NULL,
    suite_id uuid NOT NULL,
    line integer NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    month text NOT NULL
);
CREATE INDEX plan_suggestions_plan_idx ON plan_suggestions (plan_id, seq);

CREATE TABLE plan_shortfalls (
    plan_id uuid NOT NULL REFERENCES plans (id),
    seq integer NOT NULL,
    program_id uuid NOT NULL,
    client_id uuid NOT NULL,
    month text NOT NULL,
    phase text NOT NULL,
    demand integer NOT NULL,
    booked integer NOT NULL,
    planned integer NOT NULL,
    shortfall integer NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE plan_utilization (
    plan_id uuid NOT NULL REFERENCES plans (id),
    seq integer NOT NULL,
    suite_id uuid NOT NULL,
    month text NOT NULL,
    open_line_days integer NOT NULL,
    booked_line_days integer NOT NULL,
    planned_line_days integer NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

-- Per-program totals, so that a client's view of the objective covers only its own programs.
CREATE TABLE plan_programs (
    plan_id uuid NOT NULL REFERENCES plans (id),
    program_id uuid NOT NULL,
    client_id uuid NOT NULL,
    demand_batches integer NOT NULL,
    served_batches integer NOT NULL,
    demand_weighted double precision NOT NULL,
    served_weighted double precision NOT NULL,
    PRIMARY KEY (plan_id, program_id)
);

-- suiteplan production store.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE sites (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    timezone text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT sites_name_key UNIQUE (name)
);

CREATE TABLE suites (
    id uuid PRIMARY KEY,
    site_id uuid NOT NULL REFERENCES sites (id),
    name text NOT NULL,
    grade text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
    capabilities jsonb NOT NULL,
    lines integer NOT NULL CHECK (lines >= 1),
    available_from date NOT NULL,
    available_to date,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT suites_site_name_key UNIQUE (site_id, name)
);

CREATE TABLE closures (
    id uuid PRIMARY KEY,
    suite_id uuid NOT NULL REFERENCES suites (id),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    reason text NOT NULL,
    lines jsonb,
    created_at timestamptz NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE INDEX closures_suite_idx ON closures (suite_id, starts_on);

CREATE TABLE clients (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT clients_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'planner', 'client')),
    client_id uuid REFERENCES clients (id),
    prefix text NOT NULL,
    key_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    api_key_id uuid NOT NULL REFERENCES api_keys (id),
    expires_at timestamptz NOT NULL
);

CREATE TABLE programs (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    modality text NOT NULL,
    storage text NOT NULL,
    atmp boolean NOT NULL,
    phase text NOT NULL,
    required_capabilities jsonb NOT NULL,
    min_grade text NOT NULL,
    batch_days integer NOT NULL,
    changeover_days integer NOT NULL,
    earliest_start date,
    phase_success jsonb,
    priority integer NOT NULL,
    allowed_suite_ids jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT programs_client_name_key UNIQUE (client_id, name)
);

CREATE TABLE forecasts (
    program_id uuid NOT NULL REFERENCES programs (id),
    version integer NOT NULL,
    entries jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (program_id, version)
);

CREATE TABLE bookings (
    id uuid PRIMARY KEY,
    program_id uuid NOT NULL REFERENCES programs (id),
    suite_id uuid NOT NULL REFERENCES suites (id),
    line integer NOT NULL CHECK (line >= 1),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    status text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at timestamptz,
    note text,
    at_risk boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (ends_on > starts_on),
    -- Two live bookings on one line can never overlap, whatever the application does.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        suite_id WITH =, line WITH =, daterange(starts_on, ends_on) WITH &&
    ) WHERE (status IN ('held', 'confirmed'))
);
CREATE INDEX bookings_program_idx ON bookings (program_id, starts_on);

CREATE TABLE events (
    id uuid PRIMARY KEY,
    type text NOT NULL,
    client_id uuid,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    api_key_id uuid,
    role text NOT NULL,
    action text NOT NULL,
    entity text NOT NULL,
    entity_id uuid,
    request_id text,
    detail jsonb NOT NULL
);
CREATE INDEX audit_entity_idx ON audit_log (entity_id, at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

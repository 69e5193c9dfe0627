-- suiteplan embedded store. Ids are UUIDs (16-byte BLOBs, v7 so that they sort by creation),
-- dates are TEXT 'YYYY-MM-DD', instants are RFC 3339 TEXT, lists are JSON TEXT.

CREATE TABLE sites (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT sites_name_key UNIQUE (name)
);

CREATE TABLE suites (
    id BLOB PRIMARY KEY,
    site_id BLOB NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    grade TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
    capabilities TEXT NOT NULL,
    lines INTEGER NOT NULL CHECK (lines >= 1),
    available_from TEXT NOT NULL,
    available_to TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT suites_site_name_key UNIQUE (site_id, name)
);

CREATE TABLE closures (
    id BLOB PRIMARY KEY,
    suite_id BLOB NOT NULL REFERENCES suites (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    lines TEXT,
    created_at TEXT NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE INDEX closures_suite_idx ON closures (suite_id, starts_on);

CREATE TABLE clients (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT clients_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'client')),
    client_id BLOB REFERENCES clients (id),
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    api_key_id BLOB NOT NULL REFERENCES api_keys (id),
    expires_at TEXT NOT NULL
);

CREATE TABLE programs (
    id BLOB PRIMARY KEY,
    client_id BLOB NOT NULL REFERENCES clients (id),
    name TEXT NOT NULL,
    modality TEXT NOT NULL,
    storage TEXT NOT NULL,
    atmp INTEGER NOT NULL,
    phase TEXT NOT NULL,
    required_capabilities TEXT NOT NULL,
    min_grade TEXT NOT NULL,
    batch_days INTEGER NOT NULL,
    changeover_days INTEGER NOT NULL,
    earliest_start TEXT,
    phase_success TEXT,
    priority INTEGER NOT NULL,
    allowed_suite_ids TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT programs_client_name_key UNIQUE (client_id, name)
);

CREATE TABLE forecasts (
    program_id BLOB NOT NULL REFERENCES programs (id),
    version INTEGER NOT NULL,
    entries TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (program_id, version)
);

CREATE TABLE bookings (
    id BLOB PRIMARY KEY,
    program_id BLOB NOT NULL REFERENCES programs (id),
    suite_id BLOB NOT NULL REFERENCES suites (id),
    line INTEGER NOT NULL CHECK (line >= 1),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at TEXT,
    note TEXT,
    at_risk INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE INDEX bookings_line_idx ON bookings (suite_id, line, starts_on);
CREATE INDEX bookings_program_idx ON bookings (program_id, starts_on);

-- Transactional outbox: written in the same transaction as the change that caused the event.
CREATE TABLE events (
    id BLOB PRIMARY KEY,
    type TEXT NOT NULL,
    client_id BLOB,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Append-only: one row for every change that succeeded.
CREATE TABLE audit_log (
    id BLOB PRIMARY KEY,
    at TEXT NOT NULL,
    api_key_id BLOB,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BLOB,
    request_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_entity_idx ON audit_log (entity_id, at);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

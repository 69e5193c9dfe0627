-- Bookings: hold warnings, idempotency keys, calendar feeds.
ALTER TABLE bookings ADD COLUMN hold_warned_at timestamptz;
CREATE INDEX bookings_held_expiry_idx ON bookings (status, hold_expires_at);
CREATE INDEX bookings_line_idx ON bookings (suite_id, line, starts_on);

CREATE TABLE idempotency_keys (
    api_key_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (api_key_id, key)
);

CREATE TABLE calendar_feeds (
    id uuid PRIMARY KEY,
    token_hash text NOT NULL,
    api_key_id uuid NOT NULL REFERENCES api_keys (id),
    client_id uuid REFERENCES clients (id),
    suite_id uuid REFERENCES suites (id),
    program_id uuid REFERENCES programs (id),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT calendar_feeds_token_key UNIQUE (token_hash)
);

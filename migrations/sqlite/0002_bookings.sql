-- Bookings: hold warnings, idempotency keys, calendar feeds.
ALTER TABLE bookings ADD COLUMN hold_warned_at TEXT;
CREATE INDEX bookings_held_expiry_idx ON bookings (status, hold_expires_at);

-- Idempotency-Key records, per API key. A record whose response is NULL is in flight.
CREATE TABLE idempotency_keys (
    api_key_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (api_key_id, key)
);

CREATE TABLE calendar_feeds (
    id BLOB PRIMARY KEY,
    token_hash TEXT NOT NULL,
    api_key_id BLOB NOT NULL REFERENCES api_keys (id),
    client_id BLOB REFERENCES clients (id),
    suite_id BLOB REFERENCES suites (id),
    program_id BLOB REFERENCES programs (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CONSTRAINT calendar_feeds_token_key UNIQUE (token_hash)
);

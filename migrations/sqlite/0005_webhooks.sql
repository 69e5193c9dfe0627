-- Webhook subscriptions and their deliveries, fed from the `events` outbox by the dispatcher.

CREATE TABLE webhooks (
    id BLOB PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    client_id BLOB REFERENCES clients (id),
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TEXT,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    created_by BLOB
);
CREATE INDEX webhooks_client_idx ON webhooks (client_id);

-- One row per (subscription, event): the unique key makes fan-out idempotent.
CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    webhook_id BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BLOB NOT NULL REFERENCES events (id),
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    response_status INTEGER,
    next_attempt_at TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);

-- How far the dispatcher has fanned out the outbox (events settled before it are done).
CREATE TABLE webhook_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id BLOB,
    updated_at TEXT
);
INSERT INTO webhook_cursor (id, last_event_id, updated_at) VALUES (1, NULL, NULL);

-- Webhook subscriptions and their deliveries, fed from the `events` outbox by the dispatcher.

CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    events jsonb NOT NULL,
    client_id uuid REFERENCES clients (id),
    secret text NOT NULL,
    previous_secret text,
    previous_secret_until timestamptz,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL,
    created_by uuid
);
CREATE INDEX webhooks_client_idx ON webhooks (client_id);

-- One row per (subscription, event): the unique key makes fan-out idempotent.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events (id),
    event_type text NOT NULL,
    attempt integer NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    response_status integer,
    next_attempt_at timestamptz,
    lease_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT webhook_deliveries_webhook_event_key UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);

-- How far the dispatcher has fanned out the outbox (events settled before it are done).
CREATE TABLE webhook_cursor (
    id integer PRIMARY KEY CHECK (id = 1),
    last_event_id uuid,
    updated_at timestamptz
);
INSERT INTO webhook_cursor (id, last_event_id, updated_at) VALUES (1, NULL, NULL);

-- A delivery is redelivered on request at most once a minute (a button held down, or a script in
-- a loop, must not turn a dead receiver into a flood).
ALTER TABLE webhook_deliveries ADD COLUMN redelivered_at timestamptz;

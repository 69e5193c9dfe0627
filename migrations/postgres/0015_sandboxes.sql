-- What-if sandboxes: named lists of changes over the live data (src/domain/sandbox.rs), planned
-- like any plan but never booked. A plan of a sandbox keeps the changes it was made with.
CREATE TABLE sandboxes (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text,
    changes jsonb NOT NULL DEFAULT '[]',
    created_by uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

ALTER TABLE plans ADD COLUMN sandbox_id uuid;
ALTER TABLE plans ADD COLUMN sandbox_changes jsonb;

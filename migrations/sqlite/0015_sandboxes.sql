-- What-if sandboxes: named lists of changes over the live data (src/domain/sandbox.rs), planned
-- like any plan but never booked. A plan of a sandbox keeps the changes it was made with.
CREATE TABLE sandboxes (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    changes TEXT NOT NULL DEFAULT '[]',
    created_by BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

ALTER TABLE plans ADD COLUMN sandbox_id BLOB;
ALTER TABLE plans ADD COLUMN sandbox_changes TEXT;

-- Capacity pools (docs/api-guide.md, "Pools"): a site's operator crews, QC lab and shared
-- equipment, with a capacity per working day, the working days and dated exceptions (JSON, the
-- planner's `PoolException`s). One pool per (site, tag): a batch's need names a tag, and the
-- site of its suite says which pool serves it.
CREATE TABLE pools (
    id uuid PRIMARY KEY,
    site_id uuid NOT NULL REFERENCES sites (id),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('staff', 'qc', 'equipment')),
    tag text NOT NULL,
    capacity integer NOT NULL CHECK (capacity >= 0),
    weekdays jsonb NOT NULL,
    exceptions jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT pools_site_name_key UNIQUE (site_id, name),
    CONSTRAINT pools_site_tag_key UNIQUE (site_id, tag)
);

-- What one batch of a program takes from its site's pools: `[{tag, amount, days}]`.
ALTER TABLE programs ADD COLUMN resource_profile jsonb NOT NULL DEFAULT '[]';

-- Process facts that change from a phase on: `[{from_phase, batch_days?, changeover_days?,
-- required_capabilities?, min_grade?, allowed_suite_ids?, resource_profile?}]`.
ALTER TABLE programs ADD COLUMN phase_processes jsonb NOT NULL DEFAULT '[]';

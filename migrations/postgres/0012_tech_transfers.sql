-- The road to a program's first GMP batch per site: `[{site_id, days, engineering_runs,
-- required_capabilities?, resource_profile, completed}]`.
ALTER TABLE programs ADD COLUMN tech_transfers jsonb NOT NULL DEFAULT '[]';

-- What a booking does in its suite (docs/api-guide.md, "Booking kinds"): only `gmp_batch` and
-- `ppq` serve a program's demand; engineering runs, tech transfers, media fills and maintenance
-- occupy the line without making product. Existing bookings were all GMP batches.
ALTER TABLE bookings ADD COLUMN kind TEXT NOT NULL DEFAULT 'gmp_batch'
    CHECK (kind IN ('gmp_batch', 'engineering_run', 'tech_transfer', 'ppq', 'media_fill',
                    'maintenance'));

-- A plan's suggestion says what booking it would become (the planner suggests GMP batches).
ALTER TABLE plan_suggestions ADD COLUMN kind TEXT NOT NULL DEFAULT 'gmp_batch'
    CHECK (kind IN ('gmp_batch', 'engineering_run', 'tech_transfer', 'ppq', 'media_fill',
                    'maintenance'));

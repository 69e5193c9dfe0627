-- A booking is decided from a read of the suite's calendar taken outside the write lock, then
-- written only if that calendar has not changed since: every change to a suite's calendar other
-- than a booking (a closure added or removed, lines or qualification dates edited) increments
-- calendar_version, and the booking's write checks it. Bookings against bookings are kept
-- apart by the exclusion constraint (PostgreSQL) or the locked overlap check (SQLite).
ALTER TABLE suites ADD COLUMN calendar_version bigint NOT NULL DEFAULT 0;

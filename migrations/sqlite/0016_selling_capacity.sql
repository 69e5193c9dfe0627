-- Selling capacity (docs/api-guide.md, "Selling capacity"): segregation per suite, lines
-- dedicated to one client, whole-suite rentals, rate cards and quotes.

-- Who may occupy a suite's lines at the same time: anyone (`any`), one client's programs
-- (`same_client`) or one program (`same_program`).
ALTER TABLE suites ADD COLUMN segregation TEXT NOT NULL DEFAULT 'any'
    CHECK (segregation IN ('any', 'same_client', 'same_program'));

-- Bookings are rebuilt (SQLite cannot change a CHECK in place): kind `rental` (a suite rented
-- whole, one booking per line) and `seg_key`, a live booking's party under its suite's
-- segregation: the program's client (`same_client`), the program (`same_program`), NULL (`any`);
-- and `price`, what the booking costs under its site's rate card when it was made.
CREATE TABLE bookings_new (
    id BLOB PRIMARY KEY,
    program_id BLOB NOT NULL REFERENCES programs (id),
    suite_id BLOB NOT NULL REFERENCES suites (id),
    line INTEGER NOT NULL CHECK (line >= 1),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at TEXT,
    note TEXT,
    at_risk INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    hold_warned_at TEXT,
    kind TEXT NOT NULL DEFAULT 'gmp_batch'
        CHECK (kind IN ('gmp_batch', 'engineering_run', 'tech_transfer', 'ppq', 'media_fill',
                        'maintenance', 'rental')),
    seg_key BLOB,
    price TEXT,
    CHECK (ends_on > starts_on)
);
INSERT INTO bookings_new (id, program_id, suite_id, line, starts_on, ends_on, status,
    hold_expires_at, note, at_risk, created_at, updated_at, hold_warned_at, kind)
SELECT id, program_id, suite_id, line, starts_on, ends_on, status, hold_expires_at, note,
    at_risk, created_at, updated_at, hold_warned_at, kind FROM bookings;
DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;
CREATE INDEX bookings_line_idx ON bookings (suite_id, line, starts_on);
CREATE INDEX bookings_program_idx ON bookings (program_id, starts_on);
CREATE INDEX bookings_held_expiry_idx ON bookings (status, hold_expires_at);
CREATE INDEX bookings_suite_start_idx ON bookings (suite_id, starts_on);
CREATE INDEX bookings_start_idx ON bookings (starts_on);

-- The database keeps two parties out of a segregated suite on the same day, whatever the
-- application does (PostgreSQL's exclusion constraint `bookings_segregation`): every insert into
-- a segregated suite gets its party from its suite and program (in an unsegregated suite it stays
-- NULL, and the insert costs no second write), and a live booking whose party differs from
-- another live booking's in the suite over a shared day is refused. The scan starts the suite's
-- longest booking before the new start, as the overlap checks do.
CREATE TRIGGER bookings_seg_key AFTER INSERT ON bookings
WHEN (SELECT segregation FROM suites WHERE id = NEW.suite_id) <> 'any'
BEGIN
    UPDATE bookings SET seg_key = (
        SELECT CASE s.segregation WHEN 'same_client' THEN p.client_id
                                  WHEN 'same_program' THEN p.id END
        FROM suites s, programs p WHERE s.id = NEW.suite_id AND p.id = NEW.program_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER bookings_segregation BEFORE UPDATE OF seg_key, status, starts_on, ends_on
ON bookings
WHEN NEW.seg_key IS NOT NULL AND NEW.status IN ('held', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'bookings_segregation') FROM bookings o
    WHERE o.suite_id = NEW.suite_id AND o.id <> NEW.id
      AND o.status IN ('held', 'confirmed')
      AND o.starts_on >= date(NEW.starts_on, '-' || (SELECT max_booking_days FROM suites
                                                      WHERE id = NEW.suite_id) || ' days')
      AND o.starts_on < NEW.ends_on AND o.ends_on > NEW.starts_on
      AND o.seg_key IS NOT NULL AND o.seg_key <> NEW.seg_key;
END;

-- A line of a suite that only one client's programs may use over [starts_on, ends_on)
-- (client-owned equipment hosted at the CDMO); ends_on NULL: open-ended. One owner per line
-- and day (checked under the write lock by the store).
CREATE TABLE dedications (
    id BLOB PRIMARY KEY,
    suite_id BLOB NOT NULL REFERENCES suites (id),
    line INTEGER NOT NULL CHECK (line >= 1),
    client_id BLOB NOT NULL REFERENCES clients (id),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    note TEXT,
    created_at TEXT NOT NULL,
    CHECK (ends_on IS NULL OR ends_on > starts_on)
);
CREATE INDEX dedications_suite_idx ON dedications (suite_id, line, starts_on);

-- A site's prices (src/domain/pricing.rs): the card as JSON, versioned; a quote keeps the
-- version it was priced with.
CREATE TABLE rate_cards (
    site_id BLOB PRIMARY KEY REFERENCES sites (id),
    currency TEXT NOT NULL,
    card TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- Earliest-date quotes: the slots and price offered, valid until expires_at, accepted at most
-- once (as holds).
CREATE TABLE quotes (
    id BLOB PRIMARY KEY,
    client_id BLOB,
    program_id BLOB,
    body TEXT NOT NULL,
    created_by BLOB,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    booking_ids TEXT
);
CREATE INDEX quotes_client_idx ON quotes (client_id, id);

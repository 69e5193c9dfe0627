-- Selling capacity (docs/api-guide.md, "Selling capacity"): segregation per suite, lines
-- dedicated to one client, whole-suite rentals, rate cards and quotes.

-- Who may occupy a suite's lines at the same time: anyone (`any`), one client's programs
-- (`same_client`) or one program (`same_program`).
ALTER TABLE suites ADD COLUMN segregation text NOT NULL DEFAULT 'any'
    CHECK (segregation IN ('any', 'same_client', 'same_program'));

-- A live booking's party under its suite's segregation: the program's client (`same_client`),
-- the program (`same_program`), NULL (`any`). Set by the trigger below on every insert, and
-- rewritten for a suite's live bookings when its segregation changes; the exclusion constraint
-- then keeps two parties out of a segregated suite on the same day, whatever the application
-- does, as `bookings_no_overlap` keeps two bookings off one line.
ALTER TABLE bookings ADD COLUMN seg_key uuid;
CREATE FUNCTION bookings_seg_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seg_key := (SELECT CASE s.segregation WHEN 'same_client' THEN p.client_id
                                              WHEN 'same_program' THEN p.id END
                    FROM suites s, programs p WHERE s.id = NEW.suite_id AND p.id = NEW.program_id);
    RETURN NEW;
END $$;
CREATE TRIGGER bookings_seg_key BEFORE INSERT ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_seg_key();
ALTER TABLE bookings ADD CONSTRAINT bookings_segregation EXCLUDE USING gist (
    suite_id WITH =, daterange(starts_on, ends_on) WITH &&, seg_key WITH <>
) WHERE (status IN ('held', 'confirmed') AND seg_key IS NOT NULL);

-- What a booking costs under its site's rate card when it was made (src/domain/pricing.rs);
-- null without a rate card.
ALTER TABLE bookings ADD COLUMN price jsonb;

-- A suite rented whole: one booking per line, kind `rental`.
ALTER TABLE bookings DROP CONSTRAINT bookings_kind_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_kind_check
    CHECK (kind IN ('gmp_batch', 'engineering_run', 'tech_transfer', 'ppq', 'media_fill',
                    'maintenance', 'rental'));

-- A line of a suite that only one client's programs may use over [starts_on, ends_on)
-- (client-owned equipment hosted at the CDMO); ends_on NULL: open-ended.
CREATE TABLE dedications (
    id uuid PRIMARY KEY,
    suite_id uuid NOT NULL REFERENCES suites (id),
    line integer NOT NULL CHECK (line >= 1),
    client_id uuid NOT NULL REFERENCES clients (id),
    starts_on date NOT NULL,
    ends_on date,
    note text,
    created_at timestamptz NOT NULL,
    CHECK (ends_on IS NULL OR ends_on > starts_on),
    -- One owner per line and day.
    CONSTRAINT dedications_no_overlap EXCLUDE USING gist (
        suite_id WITH =, line WITH =, daterange(starts_on, ends_on) WITH &&
    )
);

-- A site's prices (src/domain/pricing.rs): the card as JSON, versioned; a quote keeps the
-- version it was priced with.
CREATE TABLE rate_cards (
    site_id uuid PRIMARY KEY REFERENCES sites (id),
    currency text NOT NULL,
    card jsonb NOT NULL,
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Earliest-date quotes: the slots and price offered, valid until expires_at, accepted at most
-- once (as holds).
CREATE TABLE quotes (
    id uuid PRIMARY KEY,
    client_id uuid,
    program_id uuid,
    body jsonb NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    booking_ids jsonb
);
CREATE INDEX quotes_client_idx ON quotes (client_id, id);

-- Overlap queries on a suite's calendar scan only bookings that start at most
-- max_booking_days before the interval: live bookings longer than that do not exist. Without the
-- bound, "starts before the end and ends after the start" reads every earlier booking.
ALTER TABLE suites ADD COLUMN max_booking_days integer NOT NULL DEFAULT 0;
UPDATE suites SET max_booking_days = COALESCE(
    (SELECT MAX(ends_on - starts_on) FROM bookings WHERE bookings.suite_id = suites.id), 0);
CREATE INDEX bookings_suite_start_idx ON bookings (suite_id, starts_on);
CREATE INDEX bookings_start_idx ON bookings (starts_on);

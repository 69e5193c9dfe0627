-- One booking-like row guarded by the same kind of GiST exclusion constraint as bookings
-- (suite, line, daterange): the database's own ceiling for suiteplan's booking write.
\set s random(1, :suites)
\set line random(1, 60)
\set d random(0, 10950)
INSERT INTO bench_bookings (suite, line, starts_on, ends_on)
VALUES (:s, :line, date '2030-01-01' + :d, date '2030-01-01' + :d + 3)
ON CONFLICT DO NOTHING;

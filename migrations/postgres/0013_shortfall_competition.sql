-- What a capacity shortfall competed for: `[{suite_id, from, to, open_line_days,
-- free_line_days, occupants: [{program_id, client_id, phase, weight, status, kind, batches,
-- line_days}]}]`.
ALTER TABLE plan_shortfalls ADD COLUMN competition jsonb NOT NULL DEFAULT '[]';

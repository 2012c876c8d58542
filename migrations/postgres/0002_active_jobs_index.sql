-- Claiming a job must not scan finished jobs: they accumulate (kept for the audit trail),
-- so the queue's active part gets its own partial index.
DROP INDEX jobs_due;
CREATE INDEX jobs_active ON jobs (run_at, id) WHERE state IN ('ready', 'running');

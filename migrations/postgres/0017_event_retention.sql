-- Event operations (issue 19's follow-up): retention of delivered events, and the age of
-- what waits, for /metrics.
--
-- When each delivery row was queued (fanned out, replayed, or redelivered by an operator):
-- the age of the oldest undelivered one is how far a subscriber is behind. The event's own
-- `at` would not do: a replay of a month-old event is not a month late. Rows made before
-- this migration take their event's time.
ALTER TABLE event_deliveries ADD COLUMN queued_at BIGINT NOT NULL DEFAULT 0;
UPDATE event_deliveries SET queued_at = (
    SELECT e.at FROM business_events e WHERE e.id = event_deliveries.event_id);
-- The undelivered rows per sink and their oldest, read at every scrape, without the
-- delivered history.
CREATE INDEX event_deliveries_waiting ON event_deliveries (sink, queued_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- The `dedup_key`s of pruned events. A condition found by a periodic check (an
-- acknowledgement still overdue, a certificate still expiring) can outlive `[events]
-- retain_days`; without its key kept, the next look would tell it again as new. Keys only:
-- a few bytes per pruned event that had one.
CREATE TABLE event_keys_pruned (
    dedup_key  TEXT PRIMARY KEY
);

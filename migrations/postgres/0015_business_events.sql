-- Business events (issue 19): what happened to orders, shipments, invoices, messages and
-- partners, told to other systems. An event is written in the same transaction as the change
-- that caused it (the outbox), so it exists exactly when the change does; its id is stable
-- and `sequence` counts each partner's events without gaps ('' is the gateway's own: its
-- certificates). `dedup_key` keeps a condition found by a periodic check (an overdue
-- acknowledgement, an expiring certificate) from being told twice, by any instance.
CREATE TABLE business_events (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    type        TEXT   NOT NULL,
    partner     TEXT   NOT NULL,
    sequence    BIGINT NOT NULL,
    message_id  BIGINT,
    data        TEXT   NOT NULL,
    dedup_key   TEXT   UNIQUE,
    -- 0 until the dispatcher has made one delivery row per subscriber for it.
    fanned_out  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX business_events_sequence ON business_events (partner, sequence);
CREATE INDEX business_events_at ON business_events (at);
CREATE INDEX business_events_fan_out ON business_events (id) WHERE fanned_out = 0;
-- Each partner's last sequence number, taken in the event's transaction: a rollback gives it
-- back, so the numbers a consumer sees have no gaps.
CREATE TABLE event_sequences (
    partner  TEXT   PRIMARY KEY,
    last     BIGINT NOT NULL
);
-- One row per event and subscriber (a webhook by name, or `nats`), and one more per replay
-- (`round`). `next_at` doubles as the claim, as in as2_mdn_outbox: a dispatcher moves it
-- forward before it delivers, so two instances do not deliver the same row at once.
CREATE TABLE event_deliveries (
    id            BIGSERIAL PRIMARY KEY,
    event_id      BIGINT NOT NULL REFERENCES business_events (id),
    sink          TEXT   NOT NULL,
    round         BIGINT NOT NULL DEFAULT 0,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    last_error    TEXT,
    delivered_at  BIGINT,
    -- Set when the attempts ran out: a dead letter, shown in the admin pages, redelivered
    -- only by an operator.
    dead_at       BIGINT,
    UNIQUE (event_id, sink, round)
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_at, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX event_deliveries_dead ON event_deliveries (dead_at) WHERE dead_at IS NOT NULL;

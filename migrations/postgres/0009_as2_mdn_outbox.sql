-- Asynchronous MDNs Wharf owes its partners (Receipt-Delivery-Option), kept until the
-- partner's server takes them: stored before the partner's POST is answered, posted by
-- `wharf serve` with backoff, surviving a restart. `next_at` doubles as the claim: a poster
-- moves it forward before it posts, so two instances do not post the same MDN at once.
CREATE TABLE as2_mdn_outbox (
    id                   BIGSERIAL PRIMARY KEY,
    partner              TEXT    NOT NULL,
    original_message_id  TEXT    NOT NULL,
    url                  TEXT    NOT NULL,
    headers              TEXT    NOT NULL,
    body                 BYTEA NOT NULL,
    attempts             BIGINT  NOT NULL DEFAULT 0,
    next_at              BIGINT  NOT NULL,
    last_error           TEXT,
    created_at           BIGINT  NOT NULL,
    sent_at              BIGINT
);
CREATE INDEX as2_mdn_outbox_due ON as2_mdn_outbox (sent_at, next_at);

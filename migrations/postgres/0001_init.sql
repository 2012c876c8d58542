-- Wharf message store, PostgreSQL dialect. Times are Unix milliseconds (BIGINT) so that both
-- backends share one representation through sqlx's Any driver.
CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    channel         TEXT    NOT NULL,
    partner         TEXT,
    format          TEXT,
    doc_type        TEXT,
    control_number  TEXT,
    filename        TEXT,
    state           TEXT    NOT NULL,
    error           TEXT,
    sha256          TEXT,
    size            BIGINT  NOT NULL DEFAULT 0,
    raw             BYTEA,
    canonical       TEXT,
    mapped          TEXT,
    related_id      BIGINT REFERENCES messages (id),
    dedup_key       TEXT UNIQUE,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_related ON messages (related_id);

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    message_id  BIGINT  NOT NULL REFERENCES messages (id),
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    stage       TEXT,
    detail      TEXT,
    instance    TEXT
);
CREATE INDEX events_message ON events (message_id, id);

CREATE TABLE jobs (
    id             BIGSERIAL PRIMARY KEY,
    message_id     BIGINT  NOT NULL REFERENCES messages (id),
    stage          TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('ready', 'running', 'done', 'dead')),
    attempts       BIGINT  NOT NULL DEFAULT 0,
    max_attempts   BIGINT  NOT NULL,
    run_at         BIGINT  NOT NULL,
    lease_owner    TEXT,
    lease_expires  BIGINT,
    last_error     TEXT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_message ON jobs (message_id);

CREATE TABLE control_numbers (
    scope       TEXT PRIMARY KEY,
    last_value  BIGINT NOT NULL
);

CREATE TABLE interchanges (
    sender          TEXT   NOT NULL,
    receiver        TEXT   NOT NULL,
    control_number  TEXT   NOT NULL,
    message_id      BIGINT NOT NULL REFERENCES messages (id),
    seen_at         BIGINT NOT NULL,
    PRIMARY KEY (sender, receiver, control_number)
);

-- One row per business document handed to the ERP, so a resent order is never delivered twice.
CREATE TABLE documents (
    partner     TEXT   NOT NULL,
    doc_type    TEXT   NOT NULL,
    doc_key     TEXT   NOT NULL,
    message_id  BIGINT NOT NULL REFERENCES messages (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner, doc_type, doc_key)
);

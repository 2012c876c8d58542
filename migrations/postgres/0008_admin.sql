-- The operations team: operator accounts (argon2id hashes), their browser sessions and the
-- machine clients' API tokens (SHA-256 of the secret only), and the audit log of every change
-- made through them. Plus what message search needs on a million rows: the business
-- references (PO, shipment, invoice numbers) of each message and indexes per filter.
CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_at     BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    token_hash  TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_at  BIGINT  NOT NULL
);

CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT  NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);

ALTER TABLE messages ADD COLUMN reference TEXT;

CREATE TABLE message_refs (
    reference   TEXT    NOT NULL,
    message_id  BIGINT  NOT NULL REFERENCES messages (id),
    PRIMARY KEY (reference, message_id)
);
INSERT INTO message_refs (reference, message_id)
    SELECT DISTINCT doc_key, message_id FROM documents;
UPDATE messages SET reference = (SELECT MIN(doc_key) FROM documents d WHERE d.message_id = messages.id);

CREATE INDEX messages_partner ON messages (partner, id);
CREATE INDEX messages_state ON messages (state, id);
CREATE INDEX messages_doc_type ON messages (doc_type, id);
CREATE INDEX messages_control ON messages (control_number);
CREATE INDEX erp_links_message ON erp_links (message_id);

-- The Message-ID each message Wharf sends over AS2 goes out under: allocated and committed
-- before the first POST, so every retry (a server away, a crash mid-POST, an unreadable or
-- missing MDN) reuses it, as AS2-Reliability asks and as Wharf's EDIINT-Features header
-- promises. Released once an MDN settles the send (good, or the partner's refusal), so a
-- later deliberate resend is a new message.
CREATE TABLE as2_send_ids (
    message_id      BIGINT  PRIMARY KEY REFERENCES messages (id),
    partner         TEXT    NOT NULL,
    as2_message_id  TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
-- How many times a sent Message-ID was posted and taken (a resend after a missing
-- asynchronous MDN goes out under the same Message-ID).
ALTER TABLE as2_messages ADD COLUMN sends BIGINT NOT NULL DEFAULT 1;

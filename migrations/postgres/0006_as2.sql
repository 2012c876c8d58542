-- AS2 messages by Message-ID, per partner and direction: a resent Message-ID is answered
-- with the first MIC and never processed again; outbound ones wait here for their MDN.
CREATE TABLE as2_messages (
    partner         TEXT    NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    as2_message_id  TEXT    NOT NULL,
    message_id      BIGINT  NOT NULL REFERENCES messages (id),
    mic             TEXT,
    mic_alg         TEXT,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (partner, direction, as2_message_id)
);
CREATE INDEX as2_messages_message ON as2_messages (message_id);

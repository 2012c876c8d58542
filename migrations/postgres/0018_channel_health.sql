-- Failures the operators see (issue 20): each partner channel's health, and each operator's
-- time zone for the admin pages.
--
-- One row per partner, channel kind (`collect`, `deliver`, `as2_send`) and remote (the
-- folder's URL, the AS2 URL): written by one upsert after every attempt, by whichever
-- instance made it, so the counter of consecutive failures is the database's, not a
-- process's. Times are Unix ms; `next_try_at` is NULL when no retry is scheduled (a
-- delivery is retried with its message, whose job says when).
CREATE TABLE channel_health (
    partner               TEXT    NOT NULL,
    kind                  TEXT    NOT NULL,
    remote                TEXT    NOT NULL,
    last_attempt_at       BIGINT  NOT NULL,
    last_success_at       BIGINT,
    last_error            TEXT,
    last_error_at         BIGINT,
    consecutive_failures  BIGINT  NOT NULL DEFAULT 0,
    next_try_at           BIGINT,
    PRIMARY KEY (partner, kind, remote)
);
-- The IANA zone (`Europe/Berlin`) an operator reads times in; NULL is UTC.
ALTER TABLE users ADD COLUMN time_zone TEXT;

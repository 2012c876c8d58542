-- Files moved between Wharf and partners' own FTP/FTPS/SFTP servers: each collected file
-- (direction 'in') and each delivered one ('out'), with the message it is. A collected file
-- found again after a crash between storing it and removing it from the server is known by
-- (partner, remote, name, sha256) and only removed, never stored twice.
CREATE TABLE transfers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner     TEXT    NOT NULL,
    direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    remote      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    sha256      TEXT    NOT NULL,
    message_id  BIGINT  NOT NULL REFERENCES messages (id),
    at          BIGINT  NOT NULL
);
CREATE INDEX transfers_file ON transfers (partner, remote, name, sha256);
CREATE INDEX transfers_message ON transfers (message_id);

-- SFTP servers' keys first seen when a profile pins none; a different key later is refused.
CREATE TABLE known_hosts (
    host        TEXT    NOT NULL,
    port        BIGINT  NOT NULL,
    key         TEXT    NOT NULL,
    first_seen  BIGINT  NOT NULL,
    PRIMARY KEY (host, port)
);

-- One collector at a time per remote folder across instances sharing a database: a row is
-- taken by the first instance whose lease on it has run out.
CREATE TABLE collect_leases (
    remote      TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    expires     BIGINT  NOT NULL
);

-- Named leases (issue 19): work one instance at a time does for the whole fleet sharing this
-- database, each a row held by `owner` until `expires` (Unix ms), renewed while held and free
-- to take once expired: a remote folder's collection (`collect:<url>`, formerly its own table
-- `collect_leases`) and the Odoo poller (`odoo:poller`).
CREATE TABLE leases (
    name     TEXT    PRIMARY KEY,
    owner    TEXT    NOT NULL,
    expires  BIGINT  NOT NULL
);
INSERT INTO leases (name, owner, expires)
    SELECT 'collect:' || remote, owner, expires FROM collect_leases;
DROP TABLE collect_leases;

-- Fair scheduling (issue 17, finding 10): one partner's backlog must not starve another's
-- order. Each job carries its lane (the message's partner, or `channel:<name>` while the
-- sender is unknown) and a priority within the lane (0 outbound encode/send, i.e.
-- acknowledgements and documents a partner waits for; 1 map/deliver; 2 identify/translate,
-- the bulk). The claim serves lanes least-recently-served first (`partner_turns`).
ALTER TABLE jobs ADD COLUMN partner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN priority BIGINT NOT NULL DEFAULT 2;
UPDATE jobs SET
    partner = COALESCE((SELECT COALESCE(m.partner, 'channel:' || m.channel) FROM messages m
                        WHERE m.id = jobs.message_id), ''),
    priority = CASE stage WHEN 'encode' THEN 0 WHEN 'send' THEN 0
                          WHEN 'map' THEN 1 WHEN 'deliver' THEN 1 ELSE 2 END
    WHERE state <> 'done';
CREATE TABLE partner_turns (
    partner  TEXT   PRIMARY KEY,
    -- A counter, not a clock: the lane with the smallest value is served next.
    served   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO partner_turns (partner, served)
    SELECT DISTINCT partner, 0 FROM jobs WHERE state <> 'done';
CREATE INDEX jobs_lane ON jobs (partner, priority, run_at, id) WHERE state IN ('ready', 'running');

-- GS06 and ST02 of what Wharf sends, so a partner's 997/999 can be matched to the message it
-- acknowledges.
ALTER TABLE messages ADD COLUMN group_control TEXT;
ALTER TABLE messages ADD COLUMN set_control TEXT;
CREATE INDEX messages_outbound_controls ON messages (partner, group_control, set_control);

-- When and what the MDN of an AS2 message said (for what Wharf sends: synchronous at once,
-- asynchronous when it arrives; NULL while one is awaited).
ALTER TABLE as2_messages ADD COLUMN mdn_at BIGINT;
ALTER TABLE as2_messages ADD COLUMN mdn TEXT;

-- Traces (issue 19): each message's W3C trace context (`traceparent`, version 00), made when
-- it is received (or continued from the partner's request) and read by every stage's job on
-- any instance, so all spans of one message share one trace id. An outbound message takes
-- the context of the inbound message it answers. Business events carry it to their
-- subscribers (the webhook's `traceparent` header, the envelope's `trace_id`). NULL for rows
-- written before: each of their jobs starts a trace of its own.
ALTER TABLE messages ADD COLUMN traceparent TEXT;
ALTER TABLE business_events ADD COLUMN traceparent TEXT;

-- The W3C traceparent of the request or message that wrote each outbox row: the relay
-- publishes the row as a child of it (trace context in the Kafka headers), so one trace
-- runs from an operator's click through the outbox to the comms provider call.
ALTER TABLE jobs.outbox ADD COLUMN traceparent text;

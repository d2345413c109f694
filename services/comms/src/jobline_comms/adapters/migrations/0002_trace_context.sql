-- The trace context a delivery was asked for in (the send command's traceparent), so
-- the dispatcher's provider call, made later by any worker, joins that trace; and the
-- traceparent of each outbox row, so the events it causes carry it back to jobs.
ALTER TABLE comms.deliveries ADD COLUMN traceparent text;
ALTER TABLE comms.outbox ADD COLUMN traceparent text;

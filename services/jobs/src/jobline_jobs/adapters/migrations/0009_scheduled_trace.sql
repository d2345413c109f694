-- The traceparent of the request that scheduled a communication: released later by the
-- scheduler, its commands still join the operator's trace, as an immediate send's do.
ALTER TABLE jobs.communications ADD COLUMN traceparent text;

-- Inbound texts applied, by the provider's message id: a STOP/START is applied once, so
-- the provider's retry changes nothing and a replayed signed START (sent before a later
-- STOP) cannot opt a phone back in.
CREATE TABLE comms.inbound_messages (
    message_sid text PRIMARY KEY CHECK (length(message_sid) BETWEEN 1 AND 64),
    received_at timestamptz NOT NULL DEFAULT now()
);

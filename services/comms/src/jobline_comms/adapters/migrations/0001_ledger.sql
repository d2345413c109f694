-- The comms ledger: one row per delivery (the idempotency key all the way to the
-- provider), the commands already handled, opt-outs per tenant and number, the
-- per-sender rate-limit slots, and the outbox the events leave through.

CREATE TABLE comms.deliveries (
    delivery_id         uuid PRIMARY KEY,
    tenant_id           text NOT NULL,
    communication_id    uuid NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient           text NOT NULL,
    sender              text NOT NULL,
    state               text NOT NULL CHECK (state IN (
        'queued', 'claimed', 'sent', 'delivered', 'failed', 'bounced', 'opted_out', 'unknown')),
    attempts            integer NOT NULL DEFAULT 0,
    -- When a queued delivery is due; while picked, when the picker's lease runs out.
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    lease               uuid,
    claimed_at          timestamptz,
    provider_message_id text,
    error_code          text,
    error_message       text,
    -- The command as it came, to rebuild the attempt and to dead-letter it unchanged.
    command             bytea NOT NULL,
    command_key         bytea,
    command_message_id  uuid,
    correlation_id      uuid,
    source_topic        text NOT NULL,
    source_partition    integer NOT NULL,
    source_offset       bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON comms.deliveries (next_attempt_at) WHERE state = 'queued';
CREATE INDEX deliveries_claimed ON comms.deliveries (claimed_at) WHERE state = 'claimed';
CREATE UNIQUE INDEX deliveries_provider_id ON comms.deliveries (provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX deliveries_conversation ON comms.deliveries (sender, recipient)
    WHERE channel = 'sms';

CREATE TABLE comms.processed_commands (
    message_id   uuid PRIMARY KEY,
    delivery_id  uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE comms.opt_outs (
    tenant_id  text NOT NULL,
    phone      text NOT NULL,
    opted_out  boolean NOT NULL,
    keyword    text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, phone)
);

CREATE TABLE comms.sender_slots (
    sender       text PRIMARY KEY,
    next_slot_at timestamptz NOT NULL
);

CREATE TABLE comms.outbox (
    outbox_id  bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        bytea,
    value      bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

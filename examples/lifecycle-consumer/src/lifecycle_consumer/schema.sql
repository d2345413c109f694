-- The consumer's own schema: nothing here is Jobline's, and nothing of Jobline's is read.
-- Idempotent: run at every start (a real service would use its migration tool).
CREATE SCHEMA IF NOT EXISTS lifecycle_consumer;

-- The read model: one row per job, as its lifecycle events describe it.
CREATE TABLE IF NOT EXISTS lifecycle_consumer.jobs (
    job_id           uuid PRIMARY KEY,
    tenant_id        text NOT NULL,
    job_number       text NOT NULL,
    -- NULL until an event says (a job whose job.created is older than the topic's retention)
    step             text,
    customer_id      uuid,
    property_id      uuid,
    technician_id    uuid,
    scheduled_start  timestamptz,
    scheduled_end    timestamptz,
    currency         text,
    total            numeric(14, 2),
    amount_paid      numeric(14, 2),
    balance_due      numeric(14, 2),
    deferred         boolean NOT NULL DEFAULT false,
    parent_job_id    uuid,
    events           integer NOT NULL,
    last_event_type  text NOT NULL,
    last_occurred_at timestamptz NOT NULL
);

-- Deduplication: Jobline delivers at least once (an outbox relay crash between send and
-- bookkeeping sends an event again). The primary key makes a second delivery a no-op, in
-- the same transaction as the read-model change.
CREATE TABLE IF NOT EXISTS lifecycle_consumer.applied_messages (
    message_id  uuid PRIMARY KEY,
    type        text NOT NULL,
    tenant_id   text NOT NULL,
    job_id      uuid,
    occurred_at timestamptz NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- What was not applied, and why: types this consumer does not know ('skipped') and bytes
-- that are no lifecycle event ('rejected'). Keyed by position, so a redelivery adds nothing.
CREATE TABLE IF NOT EXISTS lifecycle_consumer.unapplied_messages (
    topic        text NOT NULL,
    "partition"  integer NOT NULL,
    "offset"     bigint NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('skipped', 'rejected')),
    kind         text NOT NULL,
    reason       text NOT NULL,
    message_id   uuid,
    type         text,
    value        bytea,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, "partition", "offset")
);

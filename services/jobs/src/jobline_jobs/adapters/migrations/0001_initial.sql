-- Jobs service schema: job state, the parties jobs refer to, the timeline, the
-- consumer ledger and the transactional outbox. Every business table is keyed by
-- (tenant_id, id) so that every lookup is tenant-scoped by construction.

CREATE TABLE jobs.tenants (
    tenant_id   text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL,
    time_zone   text NOT NULL DEFAULT 'UTC',
    currency    char(3) NOT NULL DEFAULT 'USD',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- name/address are NULL while a row is a placeholder made by job.dispatched before the
-- upsert arrived; version_at is the occurred_at of the last upsert applied.
CREATE TABLE jobs.customers (
    tenant_id       text NOT NULL REFERENCES jobs.tenants,
    customer_id     uuid NOT NULL,
    name            text,
    billing_address jsonb,
    version_at      timestamptz,
    PRIMARY KEY (tenant_id, customer_id)
);

CREATE TABLE jobs.properties (
    tenant_id    text NOT NULL REFERENCES jobs.tenants,
    property_id  uuid NOT NULL,
    customer_id  uuid NOT NULL,
    address      jsonb,
    address_text text,
    version_at   timestamptz,
    PRIMARY KEY (tenant_id, property_id)
);

CREATE TABLE jobs.contacts (
    tenant_id   text NOT NULL REFERENCES jobs.tenants,
    contact_id  uuid NOT NULL,
    owner_kind  text NOT NULL CHECK (owner_kind IN ('customer', 'property')),
    owner_id    uuid NOT NULL,
    name        text NOT NULL,
    phone       text,
    email       text,
    role        text,
    PRIMARY KEY (tenant_id, contact_id)
);
CREATE INDEX contacts_owner ON jobs.contacts (tenant_id, owner_kind, owner_id);

CREATE TABLE jobs.technicians (
    tenant_id       text NOT NULL REFERENCES jobs.tenants,
    technician_id   uuid NOT NULL,
    name            text,
    phone           text,
    commission_rate numeric(6, 4),
    rate_card       jsonb NOT NULL DEFAULT '[]',
    currency        char(3),
    version_at      timestamptz,
    PRIMARY KEY (tenant_id, technician_id)
);

CREATE TABLE jobs.jobs (
    tenant_id       text NOT NULL REFERENCES jobs.tenants,
    job_id          uuid NOT NULL,
    job_number      text NOT NULL,
    customer_id     uuid NOT NULL,
    property_id     uuid NOT NULL,
    technician_id   uuid NOT NULL,
    summary         text NOT NULL,
    step            text NOT NULL CHECK (step IN ('open_dispatch', 'in_progress',
                        'awaiting_quality_check', 'awaiting_billing', 'awaiting_payment',
                        'paid', 'canceled')),
    scheduled_start timestamptz NOT NULL,
    scheduled_end   timestamptz NOT NULL,
    completed_at    timestamptz,
    currency        char(3) NOT NULL,
    tax_rate        numeric(6, 4) NOT NULL,
    total           numeric(14, 2) NOT NULL,
    amount_paid     numeric(14, 2) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, job_id),
    UNIQUE (tenant_id, job_number)
);

CREATE TABLE jobs.line_items (
    tenant_id   text NOT NULL,
    job_id      uuid NOT NULL,
    line_id     uuid NOT NULL,
    position    integer NOT NULL,
    code        text,
    description text NOT NULL,
    quantity    numeric(12, 3) NOT NULL,
    unit_price  numeric(14, 2) NOT NULL,
    taxable     boolean NOT NULL,
    PRIMARY KEY (tenant_id, job_id, line_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);

CREATE TABLE jobs.dispatches (
    tenant_id     text NOT NULL,
    dispatch_id   uuid NOT NULL,
    job_id        uuid NOT NULL,
    technician_id uuid NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    status        text NOT NULL,
    PRIMARY KEY (tenant_id, dispatch_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);
CREATE INDEX dispatches_job ON jobs.dispatches (tenant_id, job_id);

CREATE TABLE jobs.dispatch_status_history (
    tenant_id   text NOT NULL,
    dispatch_id uuid NOT NULL,
    status      text NOT NULL,
    at          timestamptz NOT NULL,
    message_id  uuid NOT NULL,
    FOREIGN KEY (tenant_id, dispatch_id) REFERENCES jobs.dispatches
);
CREATE INDEX dispatch_status_history_dispatch
    ON jobs.dispatch_status_history (tenant_id, dispatch_id, at);

CREATE TABLE jobs.payments (
    tenant_id   text NOT NULL,
    payment_id  uuid NOT NULL,
    job_id      uuid NOT NULL,
    amount      numeric(14, 2) NOT NULL CHECK (amount > 0),
    method      text NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, payment_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);

CREATE TABLE jobs.documents (
    tenant_id    text NOT NULL REFERENCES jobs.tenants,
    document_id  uuid NOT NULL,
    job_id       uuid,
    property_id  uuid,
    kind         text NOT NULL CHECK (kind IN ('progress_photo', 'finished_photo', 'document')),
    blob_key     text NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, document_id),
    CHECK ((job_id IS NULL) <> (property_id IS NULL))
);

-- Every fact and action on a job, and every refusal, oldest first.
CREATE TABLE jobs.timeline (
    entry_id   bigserial PRIMARY KEY,
    tenant_id  text NOT NULL,
    job_id     uuid NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('event', 'rejected')),
    type       text NOT NULL,
    cause      text NOT NULL,
    actor      text NOT NULL,
    details    jsonb NOT NULL,
    message_id uuid NOT NULL
);
CREATE INDEX timeline_job ON jobs.timeline (tenant_id, job_id, entry_id);

-- The consumer ledger: a row per handled message, written in the same transaction
-- as the message's effect, so redelivery is a no-op.
CREATE TABLE jobs.processed_messages (
    consumer     text NOT NULL,
    message_id   uuid NOT NULL,
    outcome      text NOT NULL DEFAULT 'applied',
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

-- The transactional outbox. Rows for one key are written under that job's row lock,
-- so their ids follow commit order per key; the relay sends in id order.
CREATE TABLE jobs.outbox (
    outbox_id  bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        bytea,
    value      bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

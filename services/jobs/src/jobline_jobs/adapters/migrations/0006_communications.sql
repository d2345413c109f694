-- Customer communications: each save is a communication with one delivery per recipient;
-- deliveries go to the comms service through the outbox (at once, or when send_at is
-- due: the schedule lives here, so it survives restarts). Statuses come back on
-- comms.events.v1. Invoice sends are communications that carry the invoice PDF.

CREATE TABLE jobs.communications (
    tenant_id        text NOT NULL,
    communication_id uuid NOT NULL,
    job_id           uuid NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('sms', 'email')),
    subject          text,
    body             text NOT NULL,
    attachments      jsonb NOT NULL DEFAULT '[]',
    send_at          timestamptz NOT NULL,
    released         boolean NOT NULL DEFAULT false,
    requested_by     text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, communication_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);
CREATE INDEX communications_job ON jobs.communications (tenant_id, job_id, created_at);
CREATE INDEX communications_due ON jobs.communications (send_at) WHERE NOT released;

CREATE TABLE jobs.deliveries (
    delivery_id      uuid PRIMARY KEY,
    tenant_id        text NOT NULL,
    communication_id uuid NOT NULL,
    recipient_id     uuid NOT NULL,
    recipient_name   text NOT NULL,
    address          text NOT NULL,
    status           text NOT NULL CHECK (status IN ('scheduled', 'queued', 'sent', 'delivered',
                         'failed', 'bounced', 'opted_out', 'unknown')),
    error_code       text,
    error_message    text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, communication_id) REFERENCES jobs.communications
);
CREATE INDEX deliveries_communication ON jobs.deliveries (tenant_id, communication_id);

CREATE TABLE jobs.invoice_sends (
    tenant_id        text NOT NULL,
    communication_id uuid NOT NULL,
    job_id           uuid NOT NULL,
    invoice_number   text NOT NULL,
    snapshot_sha256  text NOT NULL,
    pdf_sha256       text NOT NULL,
    PRIMARY KEY (tenant_id, communication_id),
    FOREIGN KEY (tenant_id, communication_id) REFERENCES jobs.communications
);

-- Opt-outs as the comms service reports them (STOP / START replies), per tenant.
CREATE TABLE jobs.opt_outs (
    tenant_id  text NOT NULL,
    phone      text NOT NULL,
    opted_out  boolean NOT NULL,
    keyword    text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);

-- Issue 20. Customers' replies (texts, and emails to the tenant's reply address), as the
-- comms service reports them: filed under the job of the latest message sent to the
-- sender (job_id), or in the tenant's inbox (job_id NULL). Read or not, per tenant.
CREATE TABLE jobs.replies (
    tenant_id    text NOT NULL,
    reply_id     uuid NOT NULL,
    job_id       uuid,
    in_reply_to  uuid,
    channel      text NOT NULL CHECK (channel IN ('sms', 'email')),
    sender       text NOT NULL,
    subject      text,
    body         text NOT NULL,
    files        jsonb NOT NULL DEFAULT '[]',
    refused      jsonb NOT NULL DEFAULT '[]',
    received_at  timestamptz NOT NULL,
    read_at      timestamptz,
    read_by      text,
    PRIMARY KEY (tenant_id, reply_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs,
    FOREIGN KEY (tenant_id, in_reply_to) REFERENCES jobs.communications
);
CREATE INDEX replies_job ON jobs.replies (tenant_id, job_id, received_at, reply_id);
CREATE INDEX replies_inbox ON jobs.replies (tenant_id, received_at DESC, reply_id DESC);
CREATE INDEX replies_unread ON jobs.replies (tenant_id) WHERE read_at IS NULL;

-- The latest message to a phone or address, within a tenant: how a reply finds its job.
CREATE INDEX deliveries_to_address ON jobs.deliveries (tenant_id, lower(address));

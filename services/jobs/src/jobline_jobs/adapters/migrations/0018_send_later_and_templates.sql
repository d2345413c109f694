-- Issue 18. A scheduled communication can be called off until it leaves: who did, when;
-- a canceled one is never due, and its deliveries say so. Each tenant keeps message
-- templates (text and email) with merge fields (domain/templates.py).

ALTER TABLE jobs.communications
    ADD COLUMN canceled_at timestamptz,
    ADD COLUMN canceled_by text;

DROP INDEX jobs.communications_due;
CREATE INDEX communications_due ON jobs.communications (send_at)
    WHERE NOT released AND canceled_at IS NULL;

ALTER TABLE jobs.deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE jobs.deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('scheduled', 'queued', 'sent', 'delivered', 'failed', 'bounced',
                      'opted_out', 'unknown', 'canceled'));

CREATE TABLE jobs.message_templates (
    tenant_id   text NOT NULL REFERENCES jobs.tenants,
    template_id uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    channel     text NOT NULL CHECK (channel IN ('sms', 'email')),
    subject     text CHECK (length(subject) <= 250),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    updated_at  timestamptz NOT NULL,
    updated_by  text NOT NULL,
    PRIMARY KEY (tenant_id, template_id)
);
CREATE UNIQUE INDEX message_templates_name
    ON jobs.message_templates (tenant_id, channel, lower(name));

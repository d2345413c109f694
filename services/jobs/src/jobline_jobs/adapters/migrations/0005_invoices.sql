-- Invoices: tenant branding, invoice numbers (unique per tenant, never reused), and the
-- renders of each invoice snapshot. A PDF is current only while its snapshot's sha256
-- equals the sha256 of the snapshot the job yields now.

ALTER TABLE jobs.tenants
    ADD COLUMN business_address   jsonb,
    ADD COLUMN logo_blob_key      text,
    ADD COLUMN primary_colour     text NOT NULL DEFAULT '#1f4e79'
        CHECK (primary_colour ~ '^#[0-9a-fA-F]{6}$'),
    ADD COLUMN locale             text NOT NULL DEFAULT 'en_US',
    ADD COLUMN payment_terms_days integer NOT NULL DEFAULT 30 CHECK (payment_terms_days >= 0),
    ADD COLUMN next_invoice_seq   bigint NOT NULL DEFAULT 1;

-- Numbers come from the tenant row's counter, taken under its row lock in the same
-- transaction as the invoice row: a rolled-back transaction gives its number back, a
-- committed one never loses it, so numbers are gapless in practice and never reused.
CREATE TABLE jobs.invoices (
    tenant_id      text NOT NULL,
    job_id         uuid NOT NULL,
    invoice_number text NOT NULL,
    issued_on      date NOT NULL,
    due_on         date NOT NULL,
    PRIMARY KEY (tenant_id, job_id),
    UNIQUE (tenant_id, invoice_number),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);

CREATE TABLE jobs.invoice_renders (
    tenant_id       text NOT NULL,
    job_id          uuid NOT NULL,
    snapshot_sha256 text NOT NULL,
    status          text NOT NULL CHECK (status IN ('requested', 'rendered', 'failed')),
    blob_key        text,
    pdf_sha256      text,
    pages           integer,
    bytes           integer,
    reason          text,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, snapshot_sha256)
);

-- Issue 16, credit notes: how a tenant records a change that lowers what an issued
-- invoice bills. 'revised_invoice' (the default, as before): a new revision of the same
-- invoice. 'credit_note': the invoice stays as issued and a credit note is issued for the
-- difference, numbered from its own per-tenant counter (taken under the tenant's row
-- lock, so numbers follow issue order, as invoice numbers do).

ALTER TABLE jobs.tenants
    ADD COLUMN invoice_revision_convention text NOT NULL DEFAULT 'revised_invoice'
        CHECK (invoice_revision_convention IN ('revised_invoice', 'credit_note')),
    ADD COLUMN next_credit_note_seq bigint NOT NULL DEFAULT 1 CHECK (next_credit_note_seq >= 1);

CREATE TABLE jobs.credit_notes (
    tenant_id          text NOT NULL,
    credit_note_number text NOT NULL,
    job_id             uuid NOT NULL,
    -- the invoice revision it credits: a later revision freezes the job as it stands,
    -- the credit included, so only credits of the current revision lower its balance
    revision           integer NOT NULL CHECK (revision >= 1),
    issued_on          date NOT NULL,
    amount             numeric(14, 2) NOT NULL CHECK (amount > 0),
    tax                numeric(14, 2) NOT NULL CHECK (tax >= 0),
    cause              text NOT NULL,
    issued_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, credit_note_number),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.invoices
);
CREATE INDEX credit_notes_invoice ON jobs.credit_notes (tenant_id, job_id, revision);

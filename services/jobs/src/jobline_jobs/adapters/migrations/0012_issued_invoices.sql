-- Issue 16: invoices are issued, not read into being. An invoice row is written when the
-- invoice is issued (upstream's job.invoiced or the operator's action), never on a read;
-- each revision's snapshot is frozen with its sha256. Refunds of recorded payments.

-- Rows numbered on first read before this migration were never issued: they keep their
-- number (numbers are never reused) as 'reserved' until the job's invoice is issued,
-- which then takes the next number in issue order.
ALTER TABLE jobs.invoices
    ADD COLUMN status          text NOT NULL DEFAULT 'issued'
        CHECK (status IN ('reserved', 'issued', 'voided')),
    ADD COLUMN revision        integer NOT NULL DEFAULT 0 CHECK (revision >= 0),
    ADD COLUMN upstream_number boolean NOT NULL DEFAULT false,
    ADD COLUMN paid            boolean NOT NULL DEFAULT false,
    ADD COLUMN voided_reason   text,
    ADD COLUMN issued_at       timestamptz;
UPDATE jobs.invoices SET status = 'reserved';

-- Every revision of an issued invoice, as frozen: what the API serves and the PDF shows.
CREATE TABLE jobs.invoice_revisions (
    tenant_id       text NOT NULL,
    job_id          uuid NOT NULL,
    revision        integer NOT NULL CHECK (revision >= 1),
    cause           text NOT NULL,
    snapshot        jsonb NOT NULL,
    snapshot_sha256 text NOT NULL CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, job_id, revision),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.invoices
);

CREATE TABLE jobs.payment_refunds (
    tenant_id   text NOT NULL,
    refund_id   uuid NOT NULL,
    payment_id  uuid NOT NULL,
    job_id      uuid NOT NULL,
    amount      numeric(14, 2) NOT NULL CHECK (amount > 0),
    reason      text,
    refunded_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, refund_id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES jobs.payments
);
CREATE INDEX payment_refunds_payment ON jobs.payment_refunds (tenant_id, payment_id);

-- Job actions: subjobs for staged billing, recall links with chargebacks, the tenant's
-- chargeback policy, and Idempotency-Key answers for the API's POSTs.

ALTER TABLE jobs.tenants
    -- Share of the fixing technician's normal charge that is charged back (1 = 100 %).
    ADD COLUMN chargeback_percent numeric(5, 4) NOT NULL DEFAULT 1
        CHECK (chargeback_percent BETWEEN 0 AND 1);

ALTER TABLE jobs.jobs
    ADD COLUMN parent_job_id uuid,
    ADD COLUMN share_percent numeric(7, 4),
    ADD COLUMN share_amount  numeric(14, 2),
    ADD COLUMN bill_on       date,
    ADD CONSTRAINT subjob_has_share CHECK ((parent_job_id IS NULL) = (share_amount IS NULL));
CREATE INDEX jobs_subjobs ON jobs.jobs (tenant_id, parent_job_id, bill_on)
    WHERE parent_job_id IS NOT NULL;

CREATE TABLE jobs.recall_links (
    tenant_id       text NOT NULL,
    recall_job_id   uuid NOT NULL,
    original_job_id uuid NOT NULL,
    reason          text NOT NULL,
    linked_at       timestamptz NOT NULL,
    linked_by       text NOT NULL,
    PRIMARY KEY (tenant_id, recall_job_id),
    FOREIGN KEY (tenant_id, recall_job_id) REFERENCES jobs.jobs,
    FOREIGN KEY (tenant_id, original_job_id) REFERENCES jobs.jobs,
    CHECK (recall_job_id <> original_job_id)
);
CREATE INDEX recall_links_original ON jobs.recall_links (tenant_id, original_job_id);

CREATE TABLE jobs.chargebacks (
    tenant_id            text NOT NULL,
    chargeback_id        uuid NOT NULL,
    recall_job_id        uuid NOT NULL,
    original_job_id      uuid NOT NULL,
    technician_id        uuid NOT NULL,
    fixing_technician_id uuid NOT NULL,
    normal_charge        numeric(14, 2) NOT NULL,
    policy_percent       numeric(5, 4) NOT NULL,
    earned_commission    numeric(14, 2) NOT NULL,
    amount               numeric(14, 2) NOT NULL CHECK (amount > 0),
    recorded_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, chargeback_id)
);
CREATE INDEX chargebacks_technician ON jobs.chargebacks (tenant_id, technician_id, recorded_at);
CREATE INDEX jobs_technician_completed ON jobs.jobs (tenant_id, technician_id, completed_at)
    WHERE completed_at IS NOT NULL;

-- The first answer to each (tenant, Idempotency-Key), replayed for the same request.
CREATE TABLE jobs.idempotency_keys (
    tenant_id    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status_code  integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

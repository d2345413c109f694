-- Issue 16, commissions: the commission ledger (append-only), the tenant's split rule,
-- and recall links that can be removed (kept, marked unlinked, for the record).

ALTER TABLE jobs.tenants ADD COLUMN IF NOT EXISTS commission_split_rule text NOT NULL DEFAULT 'visits_completed';
ALTER TABLE jobs.tenants ADD CONSTRAINT commission_split_rule_known
    CHECK (commission_split_rule IN ('visits_completed', 'equal', 'main_technician'));

-- One row per entry, written once when its fact happens. amount is signed: what the
-- entry adds to what the technician is owed (held and charged_back are negative).
CREATE TABLE jobs.commission_entries (
    tenant_id     text NOT NULL,
    entry_id      uuid NOT NULL,
    job_id        uuid NOT NULL,
    technician_id uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('earned', 'held', 'released', 'adjusted',
                      'charged_back', 'reversed')),
    amount        numeric(14, 2) NOT NULL CHECK (amount <> 0),
    cause         text NOT NULL,
    at            timestamptz NOT NULL,   -- when it counts (its payroll period)
    basis         numeric(14, 2),         -- the technician's share of the job total
    rate          numeric(6, 4),          -- the commission rate applied
    chargeback_id uuid,
    recall_job_id uuid,
    reason        text,
    message_id    uuid NOT NULL,          -- the fact or request that caused it
    PRIMARY KEY (tenant_id, entry_id),
    FOREIGN KEY (tenant_id, job_id) REFERENCES jobs.jobs
);
CREATE INDEX commission_entries_job ON jobs.commission_entries (tenant_id, job_id);
CREATE INDEX commission_entries_period
    ON jobs.commission_entries (tenant_id, at, technician_id);
CREATE INDEX commission_entries_technician
    ON jobs.commission_entries (tenant_id, technician_id, at);

CREATE FUNCTION jobs.commission_entries_are_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'commission entries are append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER commission_entries_append_only
    BEFORE UPDATE OR DELETE ON jobs.commission_entries
    FOR EACH ROW EXECUTE FUNCTION jobs.commission_entries_are_final();

-- A removed link stays, marked; a recall has at most one link in force.
ALTER TABLE jobs.recall_links
    ADD COLUMN unlinked_at   timestamptz,
    ADD COLUMN unlinked_by   text,
    ADD COLUMN unlink_reason text,
    DROP CONSTRAINT recall_links_pkey;
CREATE UNIQUE INDEX recall_links_in_force ON jobs.recall_links (tenant_id, recall_job_id)
    WHERE unlinked_at IS NULL;

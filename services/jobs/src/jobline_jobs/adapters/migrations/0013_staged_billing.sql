-- Staged billing runs on its dates, and parents and subjobs never bill the same money twice.
--
-- billable: a subjob is scheduled, not billable, until its bill_on in the tenant's zone;
--   the scheduler flips it (jobs without a schedule are billable, as every job was before).
--   A scheduled subjob keeps its step (awaiting_billing) and stays out of the Awaiting
--   billing view until then, as a deferred job stays out of its step's view.
-- share_tax: the tax part of a subjob's share (the share is of the parent's tax-inclusive
--   total); the parts of a parent's shares add up to the parent's tax, to the cent.
-- scheduled_amount: on a parent, the sum of its shares, so the list shows its balance as
--   what is left unscheduled without a subquery per row.
ALTER TABLE jobs.jobs
    ADD COLUMN billable         boolean NOT NULL DEFAULT true,
    ADD COLUMN share_tax        numeric(14, 2),
    ADD COLUMN scheduled_amount numeric(14, 2) NOT NULL DEFAULT 0;

UPDATE jobs.jobs p
   SET scheduled_amount = s.amount
  FROM (SELECT tenant_id, parent_job_id, sum(share_amount) AS amount
          FROM jobs.jobs WHERE parent_job_id IS NOT NULL
         GROUP BY tenant_id, parent_job_id) s
 WHERE p.tenant_id = s.tenant_id AND p.job_id = s.parent_job_id;

UPDATE jobs.jobs SET share_tax = 0 WHERE parent_job_id IS NOT NULL;

-- The scheduler's due subjobs (of every tenant), and the Awaiting billing view's count,
-- which leaves them out: only subjobs still waiting for their date are in it.
CREATE INDEX jobs_scheduled_subjobs ON jobs.jobs (bill_on, tenant_id) WHERE NOT billable;

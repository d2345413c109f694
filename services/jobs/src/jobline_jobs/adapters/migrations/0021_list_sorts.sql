-- The Jobs list's sorts and filters (issue 18, item 5): every sort is a keyset walk of an
-- index (tenant_id, key, job_number); job_number is unique per tenant, so it breaks ties.
--   scheduled: jobs_all_page (0002); number: the (tenant_id, job_number) unique index.
--   customer:  the customer's name, denormalised onto the job (kept by the triggers below,
--              as search_text is) because an index cannot reach into jobs.customers.
--   balance:   jobs.balance_of, the balance the list shows, less one case: a canceled
--              job counts as owing nothing even when its issued invoice still stands
--              (that needs jobs.invoices, which an index cannot read; such jobs are rare
--              and still show their balance).

ALTER TABLE jobs.jobs ADD COLUMN customer_name text NOT NULL DEFAULT '';

UPDATE jobs.jobs j SET customer_name = c.name
  FROM jobs.customers c
 WHERE c.tenant_id = j.tenant_id AND c.customer_id = j.customer_id;

CREATE FUNCTION jobs.job_customer_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.customer_name := coalesce((SELECT c.name FROM jobs.customers c
        WHERE c.tenant_id = NEW.tenant_id AND c.customer_id = NEW.customer_id), '');
    RETURN NEW;
END $$;

CREATE TRIGGER jobs_customer_name BEFORE INSERT OR UPDATE OF customer_id ON jobs.jobs
    FOR EACH ROW EXECUTE FUNCTION jobs.job_customer_name();

CREATE FUNCTION jobs.customer_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs.jobs SET customer_name = coalesce(NEW.name, '')
     WHERE tenant_id = NEW.tenant_id AND customer_id = NEW.customer_id
       AND customer_name <> coalesce(NEW.name, '');
    RETURN NULL;
END $$;

CREATE TRIGGER customers_renamed AFTER INSERT OR UPDATE OF name ON jobs.customers
    FOR EACH ROW EXECUTE FUNCTION jobs.customer_renamed();

CREATE FUNCTION jobs.balance_of(step text, total numeric, scheduled numeric, paid numeric)
    RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN step = 'canceled' THEN 0 ELSE total - scheduled - paid END $$;

CREATE INDEX jobs_customer_sort ON jobs.jobs (tenant_id, customer_name, job_number);
CREATE INDEX jobs_balance_sort ON jobs.jobs
    (tenant_id, jobs.balance_of(step, total, scheduled_amount, amount_paid), job_number);
-- "balance due" in the list's own order (by scheduled time).
CREATE INDEX jobs_balance_due_page ON jobs.jobs (tenant_id, scheduled_start, job_number)
    WHERE jobs.balance_of(step, total, scheduled_amount, amount_paid) > 0;

-- A step view, the deferred view and "balance due" are narrow slices of a tenant: walking
-- the whole tenant's sort index to find 50 of them took 100-200 ms at 200,000 jobs (the
-- bench), so each has its own index per sort. Today's and a date range's jobs are few and
-- are sorted after the range scan; a technician's, a few thousand, likewise.
CREATE INDEX jobs_step_number ON jobs.jobs (tenant_id, step, job_number)
    WHERE deferred_at IS NULL;
CREATE INDEX jobs_step_customer ON jobs.jobs (tenant_id, step, customer_name, job_number)
    WHERE deferred_at IS NULL;
CREATE INDEX jobs_step_balance ON jobs.jobs
    (tenant_id, step, jobs.balance_of(step, total, scheduled_amount, amount_paid), job_number)
    WHERE deferred_at IS NULL;
CREATE INDEX jobs_deferred_number ON jobs.jobs (tenant_id, job_number)
    WHERE deferred_at IS NOT NULL;
CREATE INDEX jobs_deferred_customer ON jobs.jobs (tenant_id, customer_name, job_number)
    WHERE deferred_at IS NOT NULL;
CREATE INDEX jobs_deferred_balance ON jobs.jobs
    (tenant_id, jobs.balance_of(step, total, scheduled_amount, amount_paid), job_number)
    WHERE deferred_at IS NOT NULL;
CREATE INDEX jobs_balance_due_number ON jobs.jobs (tenant_id, job_number)
    WHERE jobs.balance_of(step, total, scheduled_amount, amount_paid) > 0;
CREATE INDEX jobs_balance_due_customer ON jobs.jobs (tenant_id, customer_name, job_number)
    WHERE jobs.balance_of(step, total, scheduled_amount, amount_paid) > 0;

-- The CSV export's free text: what a spreadsheet would run as a formula starts with a
-- quote (OWASP's advice on CSV injection).
CREATE FUNCTION jobs.csv_text(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN left(value, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
               THEN '''' || value ELSE value END $$;

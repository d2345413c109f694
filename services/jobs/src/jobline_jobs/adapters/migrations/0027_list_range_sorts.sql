-- The Jobs list sorted by number, customer or balance within a date range or for one
-- technician (issue 18's targets). Such a page is not an index walk: the range (or the
-- technician's jobs) is scanned in scheduled order and sorted, and a "next 7 days" of a
-- 200,000-job tenant read each of its ~3,000 rows from the heap to sort them (6-7 ms,
-- 3,500 buffers). The two indexes those scans use now carry every column a sort key or a
-- view's predicate reads, so the scan is index-only (~45 buffers); the page query sorts
-- those entries and reads only its 51 rows from the heap (JobQueries.page).
-- Replaced, not added: still one index each on the ingest path. Every included column is
-- already in another index or partial-index predicate of jobs.jobs, so no update that was
-- HOT stops being HOT.

DROP INDEX jobs.jobs_all_page;
CREATE INDEX jobs_all_page ON jobs.jobs (tenant_id, scheduled_start, job_number)
    INCLUDE (customer_name, step, deferred_at, billable, total, scheduled_amount, amount_paid);

DROP INDEX jobs.jobs_technician_page;
CREATE INDEX jobs_technician_page ON jobs.jobs
    (tenant_id, technician_id, scheduled_start, job_number)
    INCLUDE (customer_name, step, deferred_at, billable, total, scheduled_amount, amount_paid);

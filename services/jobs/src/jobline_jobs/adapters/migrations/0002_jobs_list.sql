-- The Jobs list: API tokens, deferral, denormalised search text, view counters and the
-- indexes that keep every view's pages fast at a million jobs (100 tenants, the largest
-- with 200,000). Keyset pages walk (tenant_id, [filter,] scheduled_start, job_number).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE jobs.api_tokens (
    token_id    uuid PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES jobs.tenants,
    role        text NOT NULL CHECK (role IN ('viewer', 'operator')),
    label       text NOT NULL DEFAULT '',
    -- sha256 of the token: tokens are 256 random bits, so a fast hash is enough and the
    -- database never holds a usable secret.
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

ALTER TABLE jobs.jobs
    ADD COLUMN deferred_at     timestamptz,
    ADD COLUMN deferral_reason text,
    ADD COLUMN deferred_by     text,
    -- job number, customer name and property address, lower-cased, for free-text search;
    -- kept current when the customer or property changes.
    ADD COLUMN search_text     text NOT NULL DEFAULT '';

CREATE FUNCTION jobs.search_text_of(tenant text, job_number text, customer uuid, property uuid)
    RETURNS text LANGUAGE sql STABLE AS
$$ SELECT lower(concat_ws(' ', job_number,
       (SELECT c.name FROM jobs.customers c WHERE c.tenant_id = tenant AND c.customer_id = customer),
       (SELECT p.address_text FROM jobs.properties p
         WHERE p.tenant_id = tenant AND p.property_id = property))) $$;

UPDATE jobs.jobs SET search_text = jobs.search_text_of(tenant_id, job_number, customer_id, property_id);

CREATE INDEX jobs_all_page ON jobs.jobs (tenant_id, scheduled_start, job_number);
CREATE INDEX jobs_step_page ON jobs.jobs (tenant_id, step, scheduled_start, job_number)
    WHERE deferred_at IS NULL;
CREATE INDEX jobs_deferred_page ON jobs.jobs (tenant_id, scheduled_start, job_number)
    WHERE deferred_at IS NOT NULL;
CREATE INDEX jobs_completed_page ON jobs.jobs (tenant_id, scheduled_start, job_number)
    WHERE completed_at IS NOT NULL AND step <> 'canceled';
CREATE INDEX jobs_customer_page ON jobs.jobs (tenant_id, customer_id, scheduled_start, job_number);
CREATE INDEX jobs_property_page ON jobs.jobs (tenant_id, property_id, scheduled_start, job_number);
CREATE INDEX jobs_technician_page
    ON jobs.jobs (tenant_id, technician_id, scheduled_start, job_number);
CREATE INDEX jobs_search ON jobs.jobs USING gin (search_text gin_trgm_ops);

-- View counters, kept by a trigger. Each change adds to one of 8 shards (chosen by the
-- writing backend) so concurrent writers of one tenant rarely wait on the same row;
-- readers sum the shards. "completed_scheduled_today" depends on the day and is counted
-- from its partial index instead.
CREATE TABLE jobs.view_counts (
    tenant_id text NOT NULL,
    bucket    text NOT NULL,
    shard     smallint NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, bucket, shard)
);

CREATE FUNCTION jobs.view_bucket(step text, deferred_at timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN deferred_at IS NOT NULL THEN 'deferred:' || step ELSE step END $$;

CREATE FUNCTION jobs.count_views() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    my_shard smallint := pg_backend_pid() % 8;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO jobs.view_counts AS v VALUES
            (OLD.tenant_id, jobs.view_bucket(OLD.step, OLD.deferred_at), my_shard, -1)
        ON CONFLICT (tenant_id, bucket, shard) DO UPDATE SET n = v.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO jobs.view_counts AS v VALUES
            (NEW.tenant_id, jobs.view_bucket(NEW.step, NEW.deferred_at), my_shard, 1)
        ON CONFLICT (tenant_id, bucket, shard) DO UPDATE SET n = v.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_count_views_insert_delete AFTER INSERT OR DELETE ON jobs.jobs
    FOR EACH ROW EXECUTE FUNCTION jobs.count_views();
CREATE TRIGGER jobs_count_views_update AFTER UPDATE OF step, deferred_at ON jobs.jobs
    FOR EACH ROW
    WHEN (OLD.step IS DISTINCT FROM NEW.step OR
          (OLD.deferred_at IS NULL) IS DISTINCT FROM (NEW.deferred_at IS NULL))
    EXECUTE FUNCTION jobs.count_views();

INSERT INTO jobs.view_counts (tenant_id, bucket, shard, n)
SELECT tenant_id, jobs.view_bucket(step, deferred_at), 0, count(*)
  FROM jobs.jobs GROUP BY 1, 2;

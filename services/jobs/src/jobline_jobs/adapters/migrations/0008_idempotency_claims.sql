-- Which request holds an Idempotency-Key, and whether its effect committed. The effect's
-- own transaction sets applied_at, only while its claim_id still holds the key; a retry
-- may take over a key whose request died before any effect (an old claim, no
-- applied_at), and the dead request, if it was only slow, can then no longer commit.
ALTER TABLE jobs.idempotency_keys
    ADD COLUMN claim_id uuid,
    ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN applied_at timestamptz;
-- Keys left unanswered before this may have taken effect: never run them again.
UPDATE jobs.idempotency_keys SET applied_at = created_at WHERE status_code IS NULL;

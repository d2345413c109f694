-- An email's engagement as the comms service reports it (issue 20): its first open and
-- its latest deferral with the receiving server's reason, for the office's deliveries
-- tables. Beside the status, which keeps its meaning. NULL: no such event (every text).
ALTER TABLE jobs.deliveries
    ADD COLUMN opened_at timestamptz,
    ADD COLUMN deferred_at timestamptz,
    ADD COLUMN deferred_reason text;

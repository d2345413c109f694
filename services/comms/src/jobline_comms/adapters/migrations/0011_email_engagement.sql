-- What an email's recipient did with it beyond its status (issue 20): its first open and
-- its latest deferral with the receiving server's words. Beside the status, which keeps
-- its meaning; merged order-free (the earliest open, the latest deferral) so SendGrid's
-- retries and events out of order end the same. NULL: no such event (every text).
ALTER TABLE comms.deliveries
    ADD COLUMN opened_at timestamptz,
    ADD COLUMN deferred_at timestamptz,
    ADD COLUMN deferred_reason text;

-- CloudEvents headers (issue 19): the attributes each message has of its own, kept beside
-- the row so the relay adds them as ce_id, ce_time and ce_subject headers without parsing
-- the value (the ones a message type shares are in the row's headers). ce_id is the
-- envelope's message_id, ce_time its occurred_at as the envelope writes it, ce_subject
-- the job id of a message about a job. NULL on a dead letter: it is not Jobline's event.
ALTER TABLE jobs.outbox
    ADD COLUMN ce_id text,
    ADD COLUMN ce_time text,
    ADD COLUMN ce_subject text;

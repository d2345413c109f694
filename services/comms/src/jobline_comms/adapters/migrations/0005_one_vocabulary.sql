-- One vocabulary across the services (root README, "Glossary"), on a database that
-- already holds deliveries:
-- * `status`, not `state`: the word the contracts and the jobs service use.
-- * The deduplication record is `<schema>.processed_messages (consumer, message_id)` in
--   every service; comms called it `processed_commands (message_id)`. Rows written before
--   this were all written by the default consumer group, `comms`.
-- * What an attempt needs of its command, decoded once at intake (`content`): the
--   dispatcher no longer parses the stored envelope for every attempt. The envelope
--   itself (`command`) stays, to dead-letter it unchanged.
ALTER TABLE comms.deliveries RENAME COLUMN state TO status;
ALTER TABLE comms.deliveries RENAME CONSTRAINT deliveries_state_check TO deliveries_status_check;

ALTER TABLE comms.processed_commands RENAME TO processed_messages;
ALTER TABLE comms.processed_messages ADD COLUMN consumer text NOT NULL DEFAULT 'comms';
ALTER TABLE comms.processed_messages ALTER COLUMN consumer DROP DEFAULT;
ALTER TABLE comms.processed_messages DROP CONSTRAINT processed_commands_pkey;
ALTER TABLE comms.processed_messages ADD PRIMARY KEY (consumer, message_id);

ALTER TABLE comms.deliveries ADD COLUMN content jsonb;
UPDATE comms.deliveries
SET content = (convert_from(command, 'UTF8')::jsonb -> 'payload')
    - 'delivery_id' - 'communication_id' - 'job_id' - 'recipient_id' - 'to';
ALTER TABLE comms.deliveries ALTER COLUMN content SET NOT NULL;

-- Asking the provider about texts it accepted but whose final status never came: a
-- status callback can be lost (our HTTP down, a network fault), and a text would then
-- stay `sent` for ever. When each was last asked about, so it is asked again only after
-- a while, by one worker at a time.
ALTER TABLE comms.deliveries ADD COLUMN status_checked_at timestamptz;
CREATE INDEX deliveries_awaiting_status ON comms.deliveries (updated_at)
    WHERE state = 'sent' AND channel = 'sms';

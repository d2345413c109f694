-- Emails SendGrid took are asked about too when their events never came (our webhook
-- down when SendGrid gave up retrying), as texts are. SMTP's emails stay `sent` for
-- ever (an SMTP server has nothing more to say): their provider_message_id is their own
-- <Message-ID>, and they are left out, so this index holds SendGrid's alone.
CREATE INDEX deliveries_awaiting_email_status ON comms.deliveries (updated_at)
    WHERE status = 'sent' AND channel = 'email' AND provider_message_id NOT LIKE '<%';

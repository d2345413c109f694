"""A Twilio-compatible HTTP sandbox: the Messages resource plus signed status callbacks."""

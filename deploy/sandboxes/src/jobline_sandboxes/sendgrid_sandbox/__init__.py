"""A SendGrid-compatible HTTP sandbox: v3 Mail Send plus signed Event Webhook posts."""

-- The tenant's wording of invoice emails (domain/invoice_email.py); NULL: the default.
ALTER TABLE jobs.tenants
    ADD COLUMN invoice_email_subject text,
    ADD COLUMN invoice_email_body    text;

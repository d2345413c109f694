-- Tenant settings through the API: an admin role for tokens, the seller's details an
-- invoice prints (phone, email, tax id and its label, the title local law asks for), the
-- default tax rate, the commission split rule, and who changed the settings last, when.

ALTER TABLE jobs.api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE jobs.api_tokens
    ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('viewer', 'operator', 'admin'));

ALTER TABLE jobs.tenants
    ADD COLUMN business_phone      text,
    ADD COLUMN business_email      text,
    ADD COLUMN tax_id              text,
    -- NULL: the label the tenant's currency suggests ("ABN" for AUD, "Tax ID" otherwise).
    ADD COLUMN tax_id_label        text,
    -- NULL: the title the tenant's currency suggests ("Tax Invoice" for AUD, "Invoice").
    ADD COLUMN invoice_title       text,
    ADD COLUMN default_tax_rate    numeric(6, 4) NOT NULL DEFAULT 0
        CHECK (default_tax_rate >= 0 AND default_tax_rate < 1),
    ADD COLUMN settings_updated_at timestamptz,
    ADD COLUMN settings_updated_by text;

-- The same line as the commissions' migration: whichever runs first adds the column.
ALTER TABLE jobs.tenants ADD COLUMN IF NOT EXISTS commission_split_rule text NOT NULL DEFAULT 'visits_completed';

-- Documents uploaded through the API carry their digest (emails attach them by it) and
-- who uploaded them; documents announced by upstream facts have neither.
ALTER TABLE jobs.documents
    ADD COLUMN sha256      text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN uploaded_by text;
CREATE INDEX documents_job ON jobs.documents (tenant_id, job_id) WHERE job_id IS NOT NULL;
CREATE INDEX documents_property ON jobs.documents (tenant_id, property_id)
    WHERE property_id IS NOT NULL;

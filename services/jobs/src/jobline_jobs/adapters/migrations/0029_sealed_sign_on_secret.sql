-- A tenant's single sign-on client secret encrypted at rest (issue 18): Fernet tokens in
-- client_secret_sealed, the key outside the database (JOBLINE_JOBS_SECRETS_KEY). SQL
-- cannot make a Fernet token, so a row 0026 stored in plain text moves to
-- plaintext_client_secret (renamed: nothing reads it by its old name by mistake) and the
-- service seals it at its next start (adapters/sign_on.py, seal_plaintext), emptying it;
-- until then sign-in still reads it. Who last changed the settings is kept too.
ALTER TABLE jobs.tenant_sign_on RENAME COLUMN client_secret TO plaintext_client_secret;
ALTER TABLE jobs.tenant_sign_on
    ALTER COLUMN plaintext_client_secret DROP NOT NULL,
    ADD COLUMN client_secret_sealed text,
    ADD COLUMN updated_by text,
    ADD CONSTRAINT tenant_sign_on_one_secret
        CHECK ((plaintext_client_secret IS NULL) <> (client_secret_sealed IS NULL));

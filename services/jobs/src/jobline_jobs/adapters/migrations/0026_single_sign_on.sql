-- Single sign-on through OpenID Connect (issue 18): a tenant that configures its issuer
-- lets its users sign in there; a sign-in in flight keeps its state, nonce and PKCE
-- verifier here until the issuer sends the browser back (or ten minutes pass).

CREATE TABLE jobs.tenant_sign_on (
    tenant_id     text PRIMARY KEY REFERENCES jobs.tenants (tenant_id) ON DELETE CASCADE,
    issuer        text NOT NULL,          -- exactly the id tokens' iss
    client_id     text NOT NULL,
    client_secret text NOT NULL,
    -- A person the issuer vouches for who has no account yet gets one with this role;
    -- NULL: only users an admin invited may sign in this way.
    new_user_role text CHECK (new_user_role IN ('viewer', 'operator', 'admin')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs.sign_on_attempts (
    state_hash    bytea PRIMARY KEY,      -- sha256 of the state; the browser's cookie holds it
    tenant_id     text NOT NULL REFERENCES jobs.tenants (tenant_id) ON DELETE CASCADE,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    redirect_uri  text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX sign_on_attempts_by_age ON jobs.sign_on_attempts (created_at);

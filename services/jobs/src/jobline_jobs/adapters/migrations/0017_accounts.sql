-- Operators as people (issue 18): named users per tenant with a role, server-side
-- sessions of the console, failed sign-ins counted where every API process sees them, and
-- when each API token was last used.

CREATE TABLE jobs.users (
    user_id          uuid PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES jobs.tenants (tenant_id),
    -- Sign-in is by email alone, so an address names one account across tenants.
    email            text NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name     text NOT NULL,
    role             text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash    text,                  -- argon2 (pwdlib); NULL until the invite is used
    totp_secret      text,                  -- base32; NULL: no second factor
    -- The one-time link of an invite or reset: only its sha256, and when it lapses.
    setup_hash       bytea UNIQUE,
    setup_expires_at timestamptz,
    disabled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_by_tenant ON jobs.users (tenant_id, display_name);

CREATE TABLE jobs.user_sessions (
    session_id   uuid PRIMARY KEY,
    -- The cookie holds a random id; only its sha256 is stored.
    session_hash bytea NOT NULL UNIQUE,
    user_id      uuid NOT NULL REFERENCES jobs.users (user_id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    revoked_at   timestamptz,
    -- Opened by the password of a user with TOTP: good for the code step only.
    second_factor_due boolean NOT NULL DEFAULT false,
    address      text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_live ON jobs.user_sessions (user_id) WHERE revoked_at IS NULL;

-- One row per failed sign-in, per account (the email tried) and per client address; read
-- back over the lockout window, pruned as they age out of it.
CREATE TABLE jobs.sign_in_failures (
    scope     text NOT NULL CHECK (scope IN ('account', 'address')),
    key       text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON jobs.sign_in_failures (scope, key, failed_at);

ALTER TABLE jobs.api_tokens ADD COLUMN last_used_at timestamptz;

"""A tenant's single sign-on settings (the client secret sealed, 0029) and the sign-ins in
flight, in PostgreSQL (0026)."""

from datetime import datetime

import asyncpg

from jobline_jobs.adapters.sealed_secrets import SecretBox
from jobline_jobs.service_layer.sign_on_ports import (
    Attempt,
    SignOnChange,
    SignOnConfig,
    SignOnShown,
    SignOnStore,
)


class PostgresSignOn(SignOnStore):
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self._pool, self._box = pool, box

    async def config(self, tenant_id: str) -> SignOnConfig | None:
        row = await self._pool.fetchrow(
            """SELECT tenant_id, issuer, client_id, client_secret_sealed,
                      plaintext_client_secret, new_user_role
                 FROM jobs.tenant_sign_on WHERE tenant_id = $1""",
            tenant_id,
        )
        if row is None:
            return None
        sealed, plain = row["client_secret_sealed"], row["plaintext_client_secret"]
        # A row from before 0029 is read as it is until seal_plaintext has sealed it.
        secret = plain if sealed is None else self._box.open(sealed)
        return SignOnConfig(
            row["tenant_id"], row["issuer"], row["client_id"], secret, row["new_user_role"]
        )

    async def shown(self, tenant_id: str) -> SignOnShown | None:
        row = await self._pool.fetchrow(
            """SELECT issuer, client_id, new_user_role, updated_at, updated_by
                 FROM jobs.tenant_sign_on WHERE tenant_id = $1""",
            tenant_id,
        )
        return None if row is None else SignOnShown(*row)

    async def configure(self, change: SignOnChange) -> bool:
        if change.client_secret is None:  # the stored secret stays, sealed as it is
            done = await self._pool.execute(
                """UPDATE jobs.tenant_sign_on SET issuer = $2, client_id = $3,
                          new_user_role = $4, updated_by = $5, updated_at = now()
                    WHERE tenant_id = $1""",
                change.tenant_id,
                change.issuer,
                change.client_id,
                change.new_user_role,
                change.by,
            )
            return done != "UPDATE 0"
        await self._pool.execute(
            """INSERT INTO jobs.tenant_sign_on (tenant_id, issuer, client_id,
                      client_secret_sealed, new_user_role, updated_by)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer,
                      client_id = excluded.client_id,
                      client_secret_sealed = excluded.client_secret_sealed,
                      plaintext_client_secret = NULL,
                      new_user_role = excluded.new_user_role,
                      updated_by = excluded.updated_by, updated_at = now()""",
            change.tenant_id,
            change.issuer,
            change.client_id,
            self._box.seal(change.client_secret),
            change.new_user_role,
            change.by,
        )
        return True

    async def remove(self, tenant_id: str) -> bool:
        done = await self._pool.execute(
            "DELETE FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant_id
        )
        return done != "DELETE 0"

    async def seal_plaintext(self) -> int:
        """Seal the secrets 0026 kept in plain text (0029 cannot: SQL has no Fernet); how
        many. Each row is sealed only if still plain, so processes starting together agree."""
        rows = await self._pool.fetch(
            """SELECT tenant_id, plaintext_client_secret FROM jobs.tenant_sign_on
                WHERE plaintext_client_secret IS NOT NULL"""
        )
        sealed = 0
        for tenant_id, plain in rows:
            done = await self._pool.execute(
                """UPDATE jobs.tenant_sign_on
                      SET client_secret_sealed = $2, plaintext_client_secret = NULL
                    WHERE tenant_id = $1 AND plaintext_client_secret = $3""",
                tenant_id,
                self._box.seal(plain),
                plain,
            )
            sealed += done == "UPDATE 1"
        return sealed

    async def save_attempt(self, state_hash: bytes, attempt: Attempt, at: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """INSERT INTO jobs.sign_on_attempts (state_hash, tenant_id, nonce,
                          code_verifier, redirect_uri, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                state_hash,
                attempt.tenant_id,
                attempt.nonce,
                attempt.code_verifier,
                attempt.redirect_uri,
                at,
            )
            # Abandoned sign-ins (the person closed the issuer's page) go a day later.
            await conn.execute(
                """DELETE FROM jobs.sign_on_attempts
                    WHERE created_at < $1::timestamptz - interval '1 day'""",
                at,
            )

    async def take_attempt(self, state_hash: bytes, since: datetime) -> Attempt | None:
        row = await self._pool.fetchrow(
            """DELETE FROM jobs.sign_on_attempts WHERE state_hash = $1
               RETURNING tenant_id, nonce, code_verifier, redirect_uri, created_at""",
            state_hash,
        )
        if row is None or row["created_at"] <= since:
            return None
        return Attempt(row["tenant_id"], row["nonce"], row["code_verifier"], row["redirect_uri"])

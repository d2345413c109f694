"""A tenant's single sign-on settings and the sign-ins in flight, in PostgreSQL (0026)."""

from datetime import datetime

import asyncpg

from jobline_jobs.service_layer.sign_on_ports import Attempt, SignOnConfig, SignOnStore


class PostgresSignOn(SignOnStore):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def config(self, tenant_id: str) -> SignOnConfig | None:
        row = await self._pool.fetchrow(
            """SELECT tenant_id, issuer, client_id, client_secret, new_user_role
                 FROM jobs.tenant_sign_on WHERE tenant_id = $1""",
            tenant_id,
        )
        return None if row is None else SignOnConfig(*row)

    async def configure(self, config: SignOnConfig) -> None:
        await self._pool.execute(
            """INSERT INTO jobs.tenant_sign_on
                      (tenant_id, issuer, client_id, client_secret, new_user_role)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer,
                      client_id = excluded.client_id, client_secret = excluded.client_secret,
                      new_user_role = excluded.new_user_role, updated_at = now()""",
            config.tenant_id,
            config.issuer,
            config.client_id,
            config.client_secret,
            config.new_user_role,
        )

    async def remove(self, tenant_id: str) -> bool:
        done = await self._pool.execute(
            "DELETE FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant_id
        )
        return done != "DELETE 0"

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

"""Users, console sessions and failed sign-ins in PostgreSQL (migration 0017)."""

from datetime import datetime
from typing import Literal
from uuid import UUID, uuid4

import asyncpg

from jobline_jobs.adapters.account_changes import AccountChangesSql
from jobline_jobs.domain.accounts import SessionPolicy
from jobline_jobs.service_layer.account_ports import (
    AccountStore,
    Credentials,
    LiveSession,
    Scope,
    SessionEntry,
    User,
)
from jobline_jobs.service_layer.queries import Principal

_USER = """u.user_id, u.tenant_id, u.email, u.display_name, u.role, u.created_at,
           u.disabled_at IS NOT NULL AS disabled, u.password_hash IS NOT NULL AS has_password,
           u.totp_secret IS NOT NULL AS has_totp"""


def _user(row: asyncpg.Record) -> User:
    return User(*(row[k] for k in User.__dataclass_fields__))


class PostgresAccounts(AccountChangesSql, AccountStore):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def credentials(self, email: str) -> Credentials | None:
        row = await self._pool.fetchrow(
            f"SELECT {_USER}, u.password_hash, u.totp_secret FROM jobs.users u WHERE email = $1",  # noqa: S608 - fixed columns
            email,
        )
        return None if row is None else Credentials(_user(row), row[9], row[10])

    async def failures(self, keys: dict[Scope, str], since: datetime) -> list[list[datetime]]:
        rows = await self._pool.fetch(
            """SELECT scope, key, failed_at FROM jobs.sign_in_failures
                WHERE (scope, key) IN (('account', $1), ('address', $2)) AND failed_at > $3""",
            keys["account"],
            keys["address"],
            since,
        )
        return [[r["failed_at"] for r in rows if r["scope"] == scope] for scope in keys]

    async def record_failure(self, keys: dict[Scope, str], at: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO jobs.sign_in_failures (scope, key, failed_at) VALUES ($1, $2, $3)",
                [(scope, key, at) for scope, key in keys.items()],
            )
            # Rows a day old can lock nothing: pruned by the failures that come later.
            await conn.execute(
                """DELETE FROM jobs.sign_in_failures
                    WHERE failed_at < $1::timestamptz - interval '1 day'""",
                at,
            )

    async def clear_failures(self, scope: Scope, key: str) -> None:
        await self._pool.execute(
            "DELETE FROM jobs.sign_in_failures WHERE scope = $1 AND key = $2", scope, key
        )

    async def open_session(
        self,
        user_id: UUID,
        secret_hash: bytes,
        at: datetime,
        origin: tuple[str, str],
        *,
        second_factor_due: bool,
    ) -> None:
        await self._pool.execute(
            """INSERT INTO jobs.user_sessions (session_id, session_hash, user_id, created_at,
                      last_seen_at, address, user_agent, second_factor_due)
               VALUES ($1, $2, $3, $4, $4, $5, $6, $7)""",
            uuid4(),
            secret_hash,
            user_id,
            at,
            origin[0][:100],
            origin[1][:300],
            second_factor_due,
        )

    async def live_session(
        self, secret_hash: bytes, now: datetime, policy: SessionPolicy
    ) -> LiveSession | None:
        # One statement: find, check both expiries and the user, and mark it used, writing
        # only when the last mark is older than the policy's precision (the console makes
        # several requests a second while polling; each need not be a write).
        row = await self._pool.fetchrow(
            """WITH live AS (
                SELECT s.session_id, s.second_factor_due, s.last_seen_at, u.user_id,
                       u.tenant_id, u.role, u.display_name, u.totp_secret, u.email, t.time_zone
                  FROM jobs.user_sessions s
                  JOIN jobs.users u USING (user_id) JOIN jobs.tenants t USING (tenant_id)
                 WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND u.disabled_at IS NULL
                   AND s.last_seen_at > $2::timestamptz - $3::interval
                   AND s.created_at > $2::timestamptz - $4::interval
            ), touched AS (
                UPDATE jobs.user_sessions SET last_seen_at = $2
                 WHERE session_id = (SELECT session_id FROM live)
                   AND last_seen_at < $2::timestamptz - $5::interval
            )
            SELECT * FROM live""",
            secret_hash,
            now,
            policy.idle,
            policy.absolute,
            policy.precision,
        )
        if row is None:
            return None
        who = Principal(
            row["tenant_id"],
            row["role"],
            row["time_zone"],
            row["session_id"],
            user_id=row["user_id"],
            display_name=row["display_name"],
        )
        return LiveSession(
            who, row["session_id"], row["second_factor_due"], row["totp_secret"], row["email"]
        )

    async def pass_second_factor(self, session_id: UUID, new_hash: bytes) -> None:
        await self._pool.execute(
            """UPDATE jobs.user_sessions SET second_factor_due = false, session_hash = $2
                WHERE session_id = $1""",
            session_id,
            new_hash,
        )

    async def revoke(self, secret_hash: bytes, at: datetime) -> None:
        await self._pool.execute(
            """UPDATE jobs.user_sessions SET revoked_at = $2
                WHERE session_hash = $1 AND revoked_at IS NULL""",
            secret_hash,
            at,
        )

    async def revoke_all(self, user_id: UUID, at: datetime) -> int:
        done = await self._pool.execute(
            """UPDATE jobs.user_sessions SET revoked_at = $2
                WHERE user_id = $1 AND revoked_at IS NULL""",
            user_id,
            at,
        )
        return int(done.split()[-1])

    async def sessions(self, user_id: UUID, since: datetime) -> list[SessionEntry]:
        rows = await self._pool.fetch(
            """SELECT session_id, created_at, last_seen_at, address, user_agent
                 FROM jobs.user_sessions
                WHERE user_id = $1 AND revoked_at IS NULL AND NOT second_factor_due
                  AND last_seen_at > $2
                ORDER BY last_seen_at DESC""",
            user_id,
            since,
        )
        return [SessionEntry(*r) for r in rows]

    async def users(self, tenant_id: str) -> list[User]:
        rows = await self._pool.fetch(
            f"SELECT {_USER} FROM jobs.users u WHERE tenant_id = $1 ORDER BY display_name, email",  # noqa: S608 - fixed columns
            tenant_id,
        )
        return [_user(r) for r in rows]

    async def user(self, tenant_id: str, user_id: UUID) -> User | None:
        row = await self._pool.fetchrow(
            f"SELECT {_USER} FROM jobs.users u WHERE tenant_id = $1 AND user_id = $2",  # noqa: S608 - fixed columns
            tenant_id,
            user_id,
        )
        return None if row is None else _user(row)

    async def add_user(
        self, user: User, setup_hash: bytes, expires_at: datetime
    ) -> Literal["added", "email_taken", "unknown_tenant"]:
        try:
            await self._pool.execute(
                """INSERT INTO jobs.users (user_id, tenant_id, email, display_name, role,
                          setup_hash, setup_expires_at, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                user.user_id,
                user.tenant_id,
                user.email,
                user.display_name,
                user.role,
                setup_hash,
                expires_at,
                user.created_at,
            )
        except asyncpg.UniqueViolationError:
            return "email_taken"
        except asyncpg.ForeignKeyViolationError:
            return "unknown_tenant"
        return "added"

    async def reset(self, user_id: UUID, setup_hash: bytes, expires_at: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """UPDATE jobs.users SET password_hash = NULL, totp_secret = NULL,
                          setup_hash = $2, setup_expires_at = $3 WHERE user_id = $1""",
                user_id,
                setup_hash,
                expires_at,
            )
            await conn.execute(
                """UPDATE jobs.user_sessions SET revoked_at = now()
                    WHERE user_id = $1 AND revoked_at IS NULL""",
                user_id,
            )

    async def disable(self, user_id: UUID, at: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """UPDATE jobs.users SET disabled_at = coalesce(disabled_at, $2),
                          setup_hash = NULL WHERE user_id = $1""",
                user_id,
                at,
            )
            await conn.execute(
                """UPDATE jobs.user_sessions SET revoked_at = $2
                    WHERE user_id = $1 AND revoked_at IS NULL""",
                user_id,
                at,
            )

    async def by_setup(self, setup_hash: bytes, now: datetime) -> User | None:
        row = await self._pool.fetchrow(
            f"""SELECT {_USER} FROM jobs.users u
                 WHERE setup_hash = $1 AND setup_expires_at > $2 AND disabled_at IS NULL""",  # noqa: S608 - fixed columns
            setup_hash,
            now,
        )
        return None if row is None else _user(row)

    async def set_password(self, user_id: UUID, password_hash: str) -> None:
        await self._pool.execute(
            """UPDATE jobs.users SET password_hash = $2, setup_hash = NULL,
                      setup_expires_at = NULL WHERE user_id = $1""",
            user_id,
            password_hash,
        )

    async def set_totp(self, user_id: UUID, secret: str | None) -> None:
        await self._pool.execute(
            "UPDATE jobs.users SET totp_secret = $2 WHERE user_id = $1", user_id, secret
        )

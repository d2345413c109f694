"""The SQL of a user's own password change, an admin's role change and single sign-on's
sign-in (issue 18), mixed into ``PostgresAccounts``."""

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg

from jobline_jobs.service_layer.account_ports import User
from jobline_jobs.service_layer.queries import Role

USER_COLUMNS = """u.user_id, u.tenant_id, u.email, u.display_name, u.role, u.created_at,
           u.disabled_at IS NOT NULL AS disabled, u.password_hash IS NOT NULL AS has_password,
           u.totp_secret IS NOT NULL AS has_totp"""


def user_of(row: asyncpg.Record) -> User:
    return User(*(row[k] for k in User.__dataclass_fields__))


class AccountChangesSql:
    _pool: asyncpg.Pool

    async def revoke_others(self, user_id: UUID, keep_hash: bytes, at: datetime) -> int:
        done = await self._pool.execute(
            """UPDATE jobs.user_sessions SET revoked_at = $3
                WHERE user_id = $1 AND revoked_at IS NULL AND session_hash <> $2""",
            user_id,
            keep_hash,
            at,
        )
        return int(done.split()[-1])

    async def set_role(
        self, tenant_id: str, user_id: UUID, role: Role
    ) -> User | Literal["not_found", "last_admin"]:
        async with self._pool.acquire() as conn, conn.transaction():
            # Lock the tenant's enabled admins: a concurrent demotion waits, then counts
            # what this one left.
            admins = await conn.fetch(
                """SELECT user_id FROM jobs.users
                    WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL
                    ORDER BY user_id FOR UPDATE""",
                tenant_id,
            )
            others = [r["user_id"] for r in admins if r["user_id"] != user_id]
            if role != "admin" and len(others) < len(admins) and not others:
                return "last_admin"
            row = await conn.fetchrow(
                f"""UPDATE jobs.users u SET role = $3 WHERE tenant_id = $1 AND user_id = $2
                    RETURNING {USER_COLUMNS}""",  # noqa: S608 - fixed columns
                tenant_id,
                user_id,
                role,
            )
        return "not_found" if row is None else user_of(row)

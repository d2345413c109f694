"""API tokens: issued once, stored only as a hash, resolved to a tenant and a role."""

import hashlib
import secrets
import time
import uuid

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.service_layer.queries import ROLES, Principal, Role, Tokens

__all__ = ["ROLES", "Principal", "Role", "TokenStore", "issue_token"]

_PREFIX = "jl_"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue_token(conn: Connection, tenant_id: str, role: Role, label: str = "") -> str:
    """Create a token and return it; only its hash is stored, so it cannot be shown again."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not await conn.fetchval("SELECT 1 FROM jobs.tenants WHERE tenant_id = $1", tenant_id):
        raise ValueError(f"tenant {tenant_id!r} does not exist")
    token = _PREFIX + secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO jobs.api_tokens (token_id, tenant_id, role, label, token_hash)
           VALUES ($1, $2, $3, $4, $5)""",
        uuid.uuid4(),
        tenant_id,
        role,
        label,
        _hash(token),
    )
    return token


async def list_tokens(conn: Connection, tenant_id: str) -> list[str]:
    """The tenant's tokens, one line each: id, role, label, created, last used, revoked."""
    rows = await conn.fetch(
        """SELECT token_id, role, label, created_at, last_used_at, revoked_at
             FROM jobs.api_tokens WHERE tenant_id = $1 ORDER BY created_at""",
        tenant_id,
    )
    return [
        f"{r['token_id']}  {r['role']:<8}  {r['label'] or '-'}  created {r['created_at']:%Y-%m-%d}"
        f"  last used {r['last_used_at'] or 'never'}"
        + (f"  revoked {r['revoked_at']}" if r["revoked_at"] else "")
        for r in rows
    ]


async def revoke_token(conn: Connection, token_id: uuid.UUID) -> bool:
    """Revoke the token (in every API process within the resolver's ttl); False if it is
    unknown or revoked already."""
    done = await conn.execute(
        "UPDATE jobs.api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL",
        token_id,
    )
    return done.endswith(" 1")


class TokenStore(Tokens):
    """Resolves bearer tokens, remembering answers briefly: a revocation takes effect
    within ``ttl`` seconds, and a busy list view does not look its token up each time."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self._pool, self._ttl, self._max = pool, ttl, max_entries
        self._cache: dict[bytes, tuple[float, Principal | None]] = {}

    async def resolve(self, token: str) -> Principal | None:
        if not token.startswith(_PREFIX) or len(token) > 200:
            return None
        key, now = _hash(token), time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        # Marked used when looked up, so last_used_at is right to within the cache's ttl.
        row = await self._pool.fetchrow(
            """UPDATE jobs.api_tokens t SET last_used_at = now()
                 FROM jobs.tenants n
                WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND n.tenant_id = t.tenant_id
            RETURNING t.token_id, t.tenant_id, t.role, n.time_zone""",
            key,
        )
        principal = (
            None
            if row is None
            else Principal(row["tenant_id"], row["role"], row["time_zone"], row["token_id"])
        )
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[key] = (now + self._ttl, principal)
        return principal

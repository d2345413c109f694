"""Idempotency-Key bookkeeping: the first answer to a key is kept and replayed."""

import json
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg


@dataclass(frozen=True)
class Claim:
    state: Literal["new", "replay", "mismatch", "in_progress"]
    status_code: int | None = None
    response: Any = None


class IdempotencyKeys:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, tenant_id: str, key: str, request_hash: bytes) -> Claim:
        """Reserve ``key`` for this request, or say what happened to it before."""
        inserted = await self._pool.fetchval(
            """INSERT INTO jobs.idempotency_keys (tenant_id, key, request_hash)
               VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true""",
            tenant_id,
            key,
            request_hash,
        )
        if inserted:
            return Claim("new")
        row = await self._pool.fetchrow(
            """SELECT request_hash, status_code, response FROM jobs.idempotency_keys
                WHERE tenant_id = $1 AND key = $2""",
            tenant_id,
            key,
        )
        if row is None:  # released between the two statements: treat as in progress
            return Claim("in_progress")
        if row["request_hash"] != request_hash:
            return Claim("mismatch")
        if row["status_code"] is None:
            return Claim("in_progress")
        return Claim("replay", row["status_code"], json.loads(row["response"]))

    async def complete(self, tenant_id: str, key: str, status_code: int, response: object) -> None:
        await self._pool.execute(
            """UPDATE jobs.idempotency_keys SET status_code = $3, response = $4
                WHERE tenant_id = $1 AND key = $2""",
            tenant_id,
            key,
            status_code,
            json.dumps(response),
        )

    async def release(self, tenant_id: str, key: str) -> None:
        """Forget a key whose request failed unexpectedly, so it can be retried."""
        await self._pool.execute(
            "DELETE FROM jobs.idempotency_keys WHERE tenant_id = $1 AND key = $2 "
            "AND status_code IS NULL",
            tenant_id,
            key,
        )

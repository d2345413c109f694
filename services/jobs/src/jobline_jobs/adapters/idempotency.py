"""Idempotency-Key bookkeeping: the first answer to a key is kept and replayed.

A request claims its key, its effect marks the key applied in the effect's own
transaction (:func:`mark_applied`, only while the claim is still the request's), and
its answer is stored last. A request that died in between leaves a claim without an
answer: once the claim is older than ``lease`` seconds, a retry takes the key over if
no effect was recorded (so running it again cannot apply anything twice), and answers
``applied`` if one was (the effect stands; its answer is lost).
"""

import json
import logging
import uuid

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.domain.errors import Conflict
from jobline_jobs.service_layer.queries import Claim, IdempotencyLedger
from jobline_jobs.service_layer.unit_of_work import KeyClaim

log = logging.getLogger(__name__)


async def mark_applied(conn: Connection, claim: KeyClaim) -> None:
    """In the effect's transaction: the key's request took effect. Conflict (and so a
    rollback of the effect) if a retry has taken the key over meanwhile."""
    held = await conn.fetchval(
        """UPDATE jobs.idempotency_keys SET applied_at = coalesce(applied_at, now())
            WHERE tenant_id = $1 AND key = $2 AND claim_id = $3 RETURNING true""",
        claim.tenant_id,
        claim.key,
        claim.claim_id,
    )
    if not held:
        raise Conflict("a retry with this Idempotency-Key took over; nothing was changed")


def _earlier(row: asyncpg.Record, request_hash: bytes) -> Claim | None:
    """What became of the key's earlier request; None if it died before any effect, so
    its claim may be taken over."""
    if row["request_hash"] != request_hash:
        return Claim("mismatch")
    if row["status_code"] is not None:
        return Claim("replay", row["status_code"], json.loads(row["response"]))
    if not row["abandoned"]:
        return Claim("in_progress")
    if row["applied_at"] is not None:
        return Claim("applied")
    return None


class IdempotencyKeys(IdempotencyLedger):
    def __init__(self, pool: asyncpg.Pool, lease: float = 60.0) -> None:
        self._pool, self._lease = pool, lease

    async def claim(self, tenant_id: str, key: str, request_hash: bytes) -> Claim:
        """Reserve ``key`` for this request, or say what happened to it before."""
        mine = KeyClaim(tenant_id, key, uuid.uuid4())
        inserted = await self._pool.fetchval(
            """INSERT INTO jobs.idempotency_keys (tenant_id, key, request_hash, claim_id)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
            tenant_id,
            key,
            request_hash,
            mine.claim_id,
        )
        if inserted:
            return Claim("new", held=mine)
        row = await self._pool.fetchrow(
            """SELECT request_hash, status_code, response, applied_at, claim_id,
                      claimed_at < now() - $3 * interval '1 second' AS abandoned
                 FROM jobs.idempotency_keys WHERE tenant_id = $1 AND key = $2""",
            tenant_id,
            key,
            self._lease,
        )
        if row is None:  # released between the two statements: treat as in progress
            return Claim("in_progress")
        earlier = _earlier(row, request_hash)
        if earlier is not None:
            return earlier
        # Waits for an effect still committing under the old claim, then finds it applied.
        taken = await self._pool.fetchval(
            """UPDATE jobs.idempotency_keys SET claim_id = $4, claimed_at = now()
                WHERE tenant_id = $1 AND key = $2 AND claim_id IS NOT DISTINCT FROM $3
                  AND applied_at IS NULL AND status_code IS NULL RETURNING true""",
            tenant_id,
            key,
            row["claim_id"],
            mine.claim_id,
        )
        if not taken:
            return Claim("in_progress")
        log.warning(
            "Idempotency-Key of tenant %s taken over from a request that recorded no effect",
            tenant_id,
        )
        return Claim("new", held=mine)

    async def complete(self, claim: KeyClaim, status_code: int, response: object) -> None:
        """Keep the answer, unless a retry has taken the key over (its answer counts)."""
        await self._pool.execute(
            """UPDATE jobs.idempotency_keys SET status_code = $4, response = $5
                WHERE tenant_id = $1 AND key = $2 AND claim_id = $3""",
            claim.tenant_id,
            claim.key,
            claim.claim_id,
            status_code,
            json.dumps(response),
        )

    async def release(self, claim: KeyClaim) -> None:
        """Forget a claim whose request failed unexpectedly before any effect, so the key
        can be retried at once. A key whose effect committed keeps its claim."""
        await self._pool.execute(
            """DELETE FROM jobs.idempotency_keys
                WHERE tenant_id = $1 AND key = $2 AND claim_id = $3
                  AND status_code IS NULL AND applied_at IS NULL""",
            claim.tenant_id,
            claim.key,
            claim.claim_id,
        )

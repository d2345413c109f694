"""Attempts: picking due deliveries and claiming them, and the claims whose worker died.

Picking and claiming are separate on purpose: a pick leases a queued delivery (a crashed
picker's lease just runs out, nothing was sent), while a claim is the committed promise,
made right before the provider call, that this attempt calls.
"""

from collections.abc import Sequence
from typing import Any

import asyncpg

from jobline_comms.adapters.batching import Batcher
from jobline_comms.adapters.delivery_rows import (
    COLUMNS,
    command_of,
    delivery_of,
    write_deliveries,
)
from jobline_comms.domain.delivery import Delivery
from jobline_comms.service_layer.ports import Attempts, Picked
from jobline_comms.service_layer.unit_of_work import Deliveries
from jobline_infra.postgres import Connection

_PICK = f"""
UPDATE comms.deliveries
SET lease = gen_random_uuid(), next_attempt_at = now() + $2 * interval '1 second'
WHERE delivery_id IN (
    SELECT delivery_id FROM comms.deliveries
    WHERE status = 'queued' AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING {COLUMNS}, recipient, content, lease, traceparent"""  # noqa: S608 - fixed columns


class PostgresAttempts(Attempts):
    """Claims made at the same moment by the attempts in flight go to the database in
    one statement (:class:`Batcher`), each caller still awaiting its own answer."""

    def __init__(self, pool: "asyncpg.Pool[Any]", *, lease_seconds: float = 60.0) -> None:
        self._pool, self._lease = pool, lease_seconds
        self._claims = Batcher(self._claim_batch)

    async def pick_due(self, limit: int) -> list[Picked]:
        """Lease due rows; SKIP LOCKED lets every worker pick without waiting on others."""
        rows = await self._pool.fetch(_PICK, limit, self._lease)
        return [
            Picked(delivery_of(r, lease=r["lease"]), command_of(r), r["traceparent"]) for r in rows
        ]

    async def claim(self, delivery: Delivery) -> bool:
        """Committed before the provider is called: from here on, never call again. A
        claim writes no event, so it needs no transaction: one statement."""
        return await self._claims(delivery)

    async def _claim_batch(self, batch: Sequence[Delivery]) -> list[bool | Exception]:
        written = await write_deliveries(self._pool, batch)
        for delivery, ok in zip(batch, written, strict=True):
            if ok:
                delivery.stored()
        return list(written)


class PostgresDeliveries(Deliveries):
    """Inside a unit of work's transaction (``conn``)."""

    def __init__(self, conn: Connection, claim_timeout: float) -> None:
        self._conn, self._claim_timeout = conn, claim_timeout

    async def expired_claims(self) -> list[Delivery]:
        rows = await self._conn.fetch(
            f"SELECT {COLUMNS} FROM comms.deliveries"  # noqa: S608 - fixed columns
            " WHERE status = 'claimed' AND claimed_at < now() - $1 * interval '1 second'"
            " ORDER BY delivery_id FOR UPDATE SKIP LOCKED",
            self._claim_timeout,
        )
        return [delivery_of(r) for r in rows]

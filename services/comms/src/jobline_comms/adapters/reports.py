"""The provider's status reports: finding the delivery a callback or a status check's
answer is about, and which texts are overdue for a status check."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from jobline_comms.adapters.batching import Batcher
from jobline_comms.adapters.delivery_rows import COLUMNS, delivery_of
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.model import Channel
from jobline_comms.service_layer.ports import Reports, StatusCheck

_Asked = tuple[UUID | None, str]  # a delivery id if the report carries one, the sid

_DUE = """
UPDATE comms.deliveries SET status_checked_at = now()
WHERE delivery_id IN (
    SELECT delivery_id FROM comms.deliveries
    WHERE status = 'sent'
      -- texts, and emails SendGrid took (an SMTP id is a <Message-ID>: no one to ask)
      AND (channel = 'sms' OR (channel = 'email' AND provider_message_id NOT LIKE '<%'))
      AND provider_message_id IS NOT NULL
      AND updated_at < now() - $1 * interval '1 second'
      AND updated_at > now() - $2 * interval '1 second'
      -- asked again once as long has passed as it had waited when last
      -- asked: 10 min, 20, 40 … apart, for carriers that never report
      AND (status_checked_at IS NULL
           OR status_checked_at < now() - greatest(
               $1 * interval '1 second', status_checked_at - updated_at))
    ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING delivery_id, provider_message_id, channel"""


class PostgresReports(Reports):
    """Reports coming in at the same moment are looked up in one statement."""

    def __init__(self, pool: "asyncpg.Pool[Any]") -> None:
        self._pool = pool
        self._finds = Batcher(self._find_batch)

    async def find(self, delivery_id: UUID | None, provider_message_id: str) -> Delivery | None:
        return await self._finds((delivery_id, provider_message_id))

    async def _find_batch(self, batch: Sequence[_Asked]) -> list[Delivery | Exception | None]:
        rows = await self._pool.fetch(
            f"SELECT {COLUMNS} FROM comms.deliveries"  # noqa: S608 - fixed columns
            " WHERE delivery_id = ANY($1::uuid[]) OR provider_message_id = ANY($2::text[])",
            [delivery_id for delivery_id, _ in batch if delivery_id is not None],
            [sid for delivery_id, sid in batch if delivery_id is None],
        )
        by_id = {r["delivery_id"]: r for r in rows}
        by_sid = {r["provider_message_id"]: r for r in rows if r["provider_message_id"]}
        found = [
            by_id.get(delivery_id) if delivery_id else by_sid.get(sid) for delivery_id, sid in batch
        ]
        # A copy each: two reports about one delivery each decide on their own, and their
        # changes are written one after the other (the second only if it still advances).
        return [delivery_of(row) if row is not None else None for row in found]

    async def due_status_checks(
        self, after: float, give_up_after: float, limit: int = 50
    ) -> list[StatusCheck]:
        rows = await self._pool.fetch(_DUE, after, give_up_after, limit)
        return [
            StatusCheck(r["delivery_id"], r["provider_message_id"], Channel(r["channel"]))
            for r in rows
        ]

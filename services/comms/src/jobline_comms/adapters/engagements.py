"""Emails' engagement (issue 20) in their ``comms.deliveries`` rows, for a unit of work."""

from uuid import UUID

from jobline_comms.domain.engagement import Engagement
from jobline_comms.service_layer.unit_of_work import Engagements
from jobline_infra.postgres import Connection


class PostgresEngagements(Engagements):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def locked(self, delivery_id: UUID) -> Engagement:
        row = await self._conn.fetchrow(
            """SELECT opened_at, deferred_at, deferred_reason FROM comms.deliveries
                WHERE delivery_id = $1 FOR UPDATE""",
            delivery_id,
        )
        return Engagement(*row) if row is not None else Engagement()

    async def write(self, delivery_id: UUID, engagement: Engagement) -> None:
        await self._conn.execute(
            """UPDATE comms.deliveries
                  SET opened_at = $2, deferred_at = $3, deferred_reason = $4
                WHERE delivery_id = $1""",
            delivery_id,
            engagement.opened_at,
            engagement.deferred_at,
            engagement.deferred_reason,
        )

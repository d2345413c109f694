"""Commission reads, from the ledger only (``jobs.commission_entries``): a technician's
entries over a period, and the payroll statement of a period (each technician's sums
by kind). An entry counts in the period its ``at`` falls in: a release in the month it
was released, whenever the work was done. Nothing here looks at a job's current total
or a technician's current rate."""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_jobs.domain.commissions import EntryKind
from jobline_jobs.service_layer.queries import CommissionQueries

_KIND_SUMS = ",\n".join(
    f"coalesce(sum(e.amount) FILTER (WHERE e.kind = '{kind.value}'), 0.00) AS {kind.value}"
    for kind in EntryKind
)


class Commissions(CommissionQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def technician_exists(self, tenant_id: str, technician_id: UUID) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM jobs.technicians WHERE tenant_id = $1 AND technician_id = $2",
            tenant_id,
            technician_id,
        )
        return found is not None

    async def chargeback(self, tenant_id: str, chargeback_id: UUID) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            """SELECT chargeback_id AS id, technician_id, amount FROM jobs.chargebacks
                WHERE tenant_id = $1 AND chargeback_id = $2""",
            tenant_id,
            chargeback_id,
        )
        return None if row is None else dict(row)

    async def entries(
        self, tenant_id: str, technician_id: UUID, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            """SELECT e.entry_id AS id, e.kind, e.job_id, j.job_number, e.at, e.amount,
                      e.cause, e.basis, e.rate, e.chargeback_id, e.recall_job_id, e.reason
                 FROM jobs.commission_entries e
                 JOIN jobs.jobs j ON j.tenant_id = e.tenant_id AND j.job_id = e.job_id
                WHERE e.tenant_id = $1 AND e.technician_id = $2 AND e.at >= $3 AND e.at < $4
                ORDER BY e.at, j.job_number, e.entry_id""",
            tenant_id,
            technician_id,
            start,
            end,
        )
        return [dict(r) for r in rows]

    async def statement(
        self, tenant_id: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            f"""SELECT e.technician_id, t.name, {_KIND_SUMS}, sum(e.amount) AS net,
                       count(*) AS entries
                  FROM jobs.commission_entries e
                  LEFT JOIN jobs.technicians t
                         ON t.tenant_id = e.tenant_id AND t.technician_id = e.technician_id
                 WHERE e.tenant_id = $1 AND e.at >= $2 AND e.at < $3
                 GROUP BY e.technician_id, t.name
                 ORDER BY t.name NULLS LAST, e.technician_id""",  # noqa: S608 - fixed names
            tenant_id,
            start,
            end,
        )
        return [dict(r) for r in rows]

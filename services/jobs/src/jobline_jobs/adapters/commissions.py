"""Technician commissions over a period: earned, held back (deferred) and charged back.

Commission is earned when the work is completed: the job total (parents only — subjobs
split a parent's bill, not its work) times the technician's commission rate, to the cent.
A deferred job's commission is listed as deferred until the job is un-deferred.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_jobs.domain.money import to_cents
from jobline_jobs.service_layer.queries import CommissionQueries


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
        jobs = await self._pool.fetch(
            """SELECT j.job_id, j.job_number, j.completed_at AS at, j.total,
                      coalesce(t.commission_rate, 0) AS rate, j.deferred_at IS NOT NULL AS held
                 FROM jobs.jobs j
                 JOIN jobs.technicians t USING (tenant_id, technician_id)
                WHERE j.tenant_id = $1 AND j.technician_id = $2 AND j.parent_job_id IS NULL
                  AND j.step <> 'canceled' AND j.completed_at >= $3 AND j.completed_at < $4""",
            tenant_id,
            technician_id,
            start,
            end,
        )
        chargebacks = await self._pool.fetch(
            """SELECT c.original_job_id AS job_id, j.job_number, c.recorded_at AS at, c.amount,
                      c.recall_job_id, c.chargeback_id
                 FROM jobs.chargebacks c
                 JOIN jobs.jobs j ON j.tenant_id = c.tenant_id AND j.job_id = c.original_job_id
                WHERE c.tenant_id = $1 AND c.technician_id = $2
                  AND c.recorded_at >= $3 AND c.recorded_at < $4""",
            tenant_id,
            technician_id,
            start,
            end,
        )
        entries = [
            {
                "kind": "deferred" if r["held"] else "earned",
                "job_id": r["job_id"],
                "job_number": r["job_number"],
                "at": r["at"],
                "amount": to_cents(r["total"] * r["rate"]),
                "recall_job_id": None,
            }
            for r in jobs
        ]
        entries += [
            {
                "kind": "charged_back",
                "job_id": r["job_id"],
                "job_number": r["job_number"],
                "at": r["at"],
                "amount": -r["amount"],
                "recall_job_id": r["recall_job_id"],
            }
            for r in chargebacks
        ]
        return sorted(entries, key=lambda e: (e["at"], e["job_number"]))

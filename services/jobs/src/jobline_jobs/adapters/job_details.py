"""The read side of one job: its details, visits and timeline (always tenant-scoped)."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.job_queries import JOB_ROW_SQL
from jobline_jobs.service_layer.queries import JobDetailsQueries

# The list row plus what only the details show.
_DETAIL = (
    JOB_ROW_SQL.replace(  # noqa: S608 - constant SQL, no input in it
        "SELECT j.job_id,",
        "SELECT j.tax_rate, c.billing_address, p.address AS property_address_parts,"
        " t.phone AS technician_phone, j.parent_job_id, j.share_percent, j.share_amount,"
        " j.bill_on, (SELECT i.status FROM jobs.invoices i WHERE i.tenant_id = j.tenant_id"
        " AND i.job_id = j.job_id AND i.status <> 'reserved') AS invoice_status,"
        " (SELECT i.invoice_number FROM jobs.invoices i WHERE i.tenant_id = j.tenant_id"
        " AND i.job_id = j.job_id AND i.status <> 'reserved') AS invoice_number, j.job_id,",
        1,
    )
    + " WHERE j.tenant_id = $1 AND j.job_id = $2"
)

# One statement per page: the job's row (none: no such job) with at most ``limit`` of its
# entries after the cursor's (at, entry_id), or one row of NULLs when there are none.
_TIMELINE_PAGE = """
SELECT t.at, t.kind, t.type, t.cause, t.actor, t.details, t.message_id, t.entry_id
  FROM jobs.jobs j
  LEFT JOIN LATERAL (
        SELECT * FROM jobs.timeline e
         WHERE e.tenant_id = j.tenant_id AND e.job_id = j.job_id
           AND ($3::timestamptz IS NULL OR (e.at, e.entry_id) > ($3, $4::bigint))
         ORDER BY e.at, e.entry_id
         LIMIT $5) t ON true
 WHERE j.tenant_id = $1 AND j.job_id = $2
 ORDER BY t.at, t.entry_id
"""


def _address(raw: str | None) -> dict[str, Any] | None:
    return None if raw is None else dict(json.loads(raw))


class JobDetails(JobDetailsQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def job(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None:
        """The job with its parties, contacts, visits and lines; None if not this tenant's."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(_DETAIL, tenant_id, job_id)
            if row is None:
                return None
            job: dict[str, Any] = dict(row)
            job["invoice_issued"] = job["invoice_status"] is not None
            job["invoice_stands"] = job["invoice_status"] == "issued"
            job["billing_address"] = _address(job["billing_address"])
            job["property_address_parts"] = _address(job["property_address_parts"])
            job["contacts"] = [
                dict(r)
                for r in await conn.fetch(
                    """SELECT contact_id, owner_kind, name, phone, email, role
                         FROM jobs.contacts
                        WHERE tenant_id = $1 AND ((owner_kind = 'customer' AND owner_id = $2)
                              OR (owner_kind = 'property' AND owner_id = $3))
                        ORDER BY owner_kind, name""",
                    tenant_id,
                    job["customer_id"],
                    job["property_id"],
                )
            ]
            job["line_items"] = [
                dict(r)
                for r in await conn.fetch(
                    """SELECT line_id, code, description, quantity, unit_price, taxable
                         FROM jobs.line_items WHERE tenant_id = $1 AND job_id = $2
                        ORDER BY position""",
                    tenant_id,
                    job_id,
                )
            ]
            job["dispatches"] = await self._visits(conn, tenant_id, job_id)
            job["subjobs"] = await self._subjobs(conn, tenant_id, job_id)
            links = await conn.fetch(
                """SELECT recall_job_id, original_job_id FROM jobs.recall_links
                    WHERE tenant_id = $1 AND (recall_job_id = $2 OR original_job_id = $2)
                      AND unlinked_at IS NULL""",
                tenant_id,
                job_id,
            )
            job["recall_of"] = next(
                (r["original_job_id"] for r in links if r["recall_job_id"] == job_id), None
            )
            job["recalls"] = [r["recall_job_id"] for r in links if r["original_job_id"] == job_id]
            job["payments"] = [
                dict(r)
                for r in await conn.fetch(
                    """SELECT payment_id, amount, method, recorded_at FROM jobs.payments
                        WHERE tenant_id = $1 AND job_id = $2 ORDER BY recorded_at, payment_id""",
                    tenant_id,
                    job_id,
                )
            ]
        return job

    async def billing_schedule(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None:
        """The parent's total and its subjob shares, or None if no such job."""
        async with self._pool.acquire() as conn:
            parent = await conn.fetchrow(
                """SELECT job_id, job_number, currency, total, parent_job_id FROM jobs.jobs
                    WHERE tenant_id = $1 AND job_id = $2""",
                tenant_id,
                job_id,
            )
            if parent is None:
                return None
            return {**dict(parent), "subjobs": await self._subjobs(conn, tenant_id, job_id)}

    @staticmethod
    async def _subjobs(conn: Connection, tenant_id: str, job_id: UUID) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            """SELECT job_id, job_number, summary AS title, share_percent, share_amount, bill_on,
                      step, share_tax, billable, total, amount_paid
                 FROM jobs.jobs WHERE tenant_id = $1 AND parent_job_id = $2
                ORDER BY length(job_number), job_number""",
            tenant_id,
            job_id,
        )
        return [dict(r) for r in rows]

    async def dispatches(self, tenant_id: str, job_id: UUID) -> list[dict[str, Any]] | None:
        async with self._pool.acquire() as conn:
            if not await conn.fetchval(
                "SELECT 1 FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
            ):
                return None
            return await self._visits(conn, tenant_id, job_id)

    @staticmethod
    async def _visits(conn: Connection, tenant_id: str, job_id: UUID) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            """SELECT d.dispatch_id, d.technician_id, t.name AS technician_name,
                      d.window_start, d.window_end, d.status,
                      coalesce(json_agg(json_build_object('status', h.status, 'at', h.at)
                                        ORDER BY h.at, h.status) FILTER (WHERE h.status
                               IS NOT NULL), '[]') AS history
                 FROM jobs.dispatches d
                 LEFT JOIN jobs.technicians t ON t.tenant_id = d.tenant_id
                                             AND t.technician_id = d.technician_id
                 LEFT JOIN jobs.dispatch_status_history h ON h.tenant_id = d.tenant_id
                                                         AND h.dispatch_id = d.dispatch_id
                WHERE d.tenant_id = $1 AND d.job_id = $2
                GROUP BY d.dispatch_id, d.technician_id, t.name, d.window_start, d.window_end,
                         d.status
                ORDER BY d.window_start, d.dispatch_id""",
            tenant_id,
            job_id,
        )
        return [{**dict(r), "history": json.loads(r["history"])} for r in rows]

    async def timeline(
        self, tenant_id: str, job_id: UUID, after: tuple[datetime, int] | None, limit: int
    ) -> list[dict[str, Any]] | None:
        at, entry = after or (None, None)
        rows = await self._pool.fetch(_TIMELINE_PAGE, tenant_id, job_id, at, entry, limit)
        if not rows:
            return None
        return [{**dict(r), "details": json.loads(r["details"])} for r in rows if r["at"]]

    async def attachments(self, tenant_id: str, job_id: UUID) -> list[dict[str, Any]] | None:
        """What an email about the job may attach: its files and its property's."""
        async with self._pool.acquire() as conn:
            job = await conn.fetchrow(
                "SELECT property_id FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
                tenant_id,
                job_id,
            )
            if job is None:
                return None
            rows = await conn.fetch(
                """SELECT document_id, kind, filename, content_type, size_bytes, sha256,
                          CASE WHEN job_id IS NULL THEN 'property' ELSE 'job' END AS source
                     FROM jobs.documents
                    WHERE tenant_id = $1 AND (job_id = $2 OR property_id = $3)
                    ORDER BY source, kind, added_at, document_id""",
                tenant_id,
                job_id,
                job["property_id"],
            )
        return [dict(r) for r in rows]

    async def property_exists(self, tenant_id: str, property_id: UUID) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM jobs.properties WHERE tenant_id = $1 AND property_id = $2",
            tenant_id,
            property_id,
        )
        return found is not None

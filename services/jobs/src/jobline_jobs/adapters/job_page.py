"""The job page's reads (issue 18), one statement each and always tenant-scoped."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_jobs.service_layer.job_page_queries import JobPageQueries

# The job's row (none: no such job) with at most ``limit`` links it is in, or one row of
# NULLs when there are none. A link's chargeback was recorded by the same message, at the
# same time; it is reversed once the ledger holds a reversal of it.
_RECALL_LINKS = """
SELECT l.*
  FROM jobs.jobs j
  LEFT JOIN LATERAL (
        SELECT r.recall_job_id, rj.job_number AS recall_number, r.original_job_id,
               oj.job_number AS original_number, oj.currency, r.reason, r.linked_at,
               r.linked_by, r.unlinked_at, r.unlinked_by, r.unlink_reason,
               cb.chargeback_id, cb.amount AS chargeback_amount,
               cb.technician_id AS chargeback_technician_id,
               t.name AS chargeback_technician_name,
               EXISTS (SELECT 1 FROM jobs.commission_entries e
                        WHERE e.tenant_id = cb.tenant_id
                          AND e.job_id IN (cb.original_job_id, cb.recall_job_id)
                          AND e.kind = 'reversed' AND e.chargeback_id = cb.chargeback_id)
                 AS chargeback_reversed
          FROM jobs.recall_links r
          JOIN jobs.jobs rj ON rj.tenant_id = r.tenant_id AND rj.job_id = r.recall_job_id
          JOIN jobs.jobs oj ON oj.tenant_id = r.tenant_id AND oj.job_id = r.original_job_id
          LEFT JOIN jobs.chargebacks cb
                 ON cb.tenant_id = r.tenant_id AND cb.recall_job_id = r.recall_job_id
                AND cb.original_job_id = r.original_job_id AND cb.recorded_at = r.linked_at
          LEFT JOIN jobs.technicians t
                 ON t.tenant_id = cb.tenant_id AND t.technician_id = cb.technician_id
         WHERE r.tenant_id = j.tenant_id
           AND (r.recall_job_id = j.job_id OR r.original_job_id = j.job_id)
         ORDER BY r.linked_at DESC, r.recall_job_id
         LIMIT $3) l ON true
 WHERE j.tenant_id = $1 AND j.job_id = $2
"""

_DOCUMENT = """
SELECT d.document_id, d.blob_key, d.filename, d.content_type, d.size_bytes
  FROM jobs.jobs j
  JOIN jobs.documents d ON d.tenant_id = j.tenant_id
   AND (d.job_id = j.job_id OR d.property_id = j.property_id)
 WHERE j.tenant_id = $1 AND j.job_id = $2 AND d.document_id = $3
"""

_REVISIONS = """
SELECT r.revision, r.cause, r.recorded_at, r.snapshot_sha256, i.invoice_number,
       r.snapshot ->> 'currency' AS currency, (r.snapshot ->> 'total')::numeric AS total,
       (r.snapshot ->> 'balance_due')::numeric AS balance_due
  FROM jobs.jobs j
  LEFT JOIN jobs.invoices i ON i.tenant_id = j.tenant_id AND i.job_id = j.job_id
  LEFT JOIN LATERAL (
        SELECT * FROM jobs.invoice_revisions v
         WHERE v.tenant_id = j.tenant_id AND v.job_id = j.job_id
         ORDER BY v.revision DESC
         LIMIT $3) r ON true
 WHERE j.tenant_id = $1 AND j.job_id = $2
 ORDER BY r.revision DESC
"""

# As the oldest-first page in job_details, the other way round.
_NEWEST_TIMELINE = """
SELECT t.at, t.kind, t.type, t.cause, t.actor, t.details, t.message_id, t.entry_id
  FROM jobs.jobs j
  LEFT JOIN LATERAL (
        SELECT * FROM jobs.timeline e
         WHERE e.tenant_id = j.tenant_id AND e.job_id = j.job_id
           AND ($3::timestamptz IS NULL OR (e.at, e.entry_id) < ($3, $4::bigint))
         ORDER BY e.at DESC, e.entry_id DESC
         LIMIT $5) t ON true
 WHERE j.tenant_id = $1 AND j.job_id = $2
 ORDER BY t.at DESC, t.entry_id DESC
"""


class PostgresJobPage(JobPageQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def recall_links(
        self, tenant_id: str, job_id: UUID, limit: int
    ) -> list[dict[str, Any]] | None:
        rows = await self._pool.fetch(_RECALL_LINKS, tenant_id, job_id, limit)
        if not rows:
            return None
        return [dict(r) for r in rows if r["recall_job_id"] is not None]

    async def document(
        self, tenant_id: str, job_id: UUID, document_id: UUID
    ) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(_DOCUMENT, tenant_id, job_id, document_id)
        return None if row is None else dict(row)

    async def invoice_revisions(
        self, tenant_id: str, job_id: UUID, limit: int
    ) -> list[dict[str, Any]] | None:
        rows = await self._pool.fetch(_REVISIONS, tenant_id, job_id, limit)
        if not rows:
            return None
        return [dict(r) for r in rows if r["revision"] is not None]

    async def newest_timeline(
        self, tenant_id: str, job_id: UUID, before: tuple[datetime, int] | None, limit: int
    ) -> list[dict[str, Any]] | None:
        at, entry = before or (None, None)
        rows = await self._pool.fetch(_NEWEST_TIMELINE, tenant_id, job_id, at, entry, limit)
        if not rows:
            return None
        return [{**dict(r), "details": json.loads(r["details"])} for r in rows if r["at"]]

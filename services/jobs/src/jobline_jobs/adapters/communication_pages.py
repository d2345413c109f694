"""A page of a job's communications in ONE query: the consoles poll these lists every
second or two, and one statement per communication plus one for its deliveries (1 + 2N)
made each poll cost as many round trips as the job had sends. The job's existence, the
page and each communication's deliveries come back together, aggregated as JSON."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# No row: the tenant has no such job. Otherwise one row whose ``items`` holds up to $6
# communications after the keyset ($4, $5), oldest first, each with its deliveries.
_PAGE = """
SELECT (SELECT coalesce(json_agg(p ORDER BY p.created_at, p.communication_id), '[]')
          FROM (SELECT c.communication_id, c.job_id, c.channel, c.subject, c.body,
                       c.attachments, c.send_at, c.requested_by, c.created_at,
                       s.invoice_number, s.pdf_sha256,
                       (SELECT coalesce(json_agg(json_build_object(
                                   'delivery_id', d.delivery_id,
                                   'recipient_id', d.recipient_id,
                                   'recipient_name', d.recipient_name,
                                   'address', d.address,
                                   'status', d.status,
                                   'error_code', d.error_code,
                                   'error_message', d.error_message,
                                   'updated_at', d.updated_at,
                                   'opened_at', d.opened_at,
                                   'deferred_reason', d.deferred_reason)
                                 ORDER BY d.recipient_name, d.delivery_id), '[]')
                          FROM jobs.deliveries d
                         WHERE d.tenant_id = c.tenant_id
                           AND d.communication_id = c.communication_id) AS deliveries
                  FROM jobs.communications c
                  LEFT JOIN jobs.invoice_sends s USING (tenant_id, communication_id)
                 WHERE c.tenant_id = j.tenant_id AND c.job_id = j.job_id
                   AND (NOT $3::boolean OR s.communication_id IS NOT NULL)
                   AND ($4::timestamptz IS NULL
                        OR (c.created_at, c.communication_id) > ($4, $5::uuid))
                 ORDER BY c.created_at, c.communication_id
                 LIMIT $6) p) AS items
  FROM jobs.jobs j
 WHERE j.tenant_id = $1 AND j.job_id = $2"""


async def communication_page(
    pool: asyncpg.Pool,
    tenant_id: str,
    job_id: UUID,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
    invoices_only: bool,
) -> tuple[list[dict[str, Any]], bool] | None:
    """Up to ``limit`` communications of the job after ``after`` (its created_at and id),
    and whether more follow; None if the tenant has no such job."""
    at, key = after if after else (None, None)
    items = await pool.fetchval(_PAGE, tenant_id, job_id, invoices_only, at, key, limit + 1)
    if items is None:
        return None
    page: list[dict[str, Any]] = json.loads(items)
    return page[:limit], len(page) > limit

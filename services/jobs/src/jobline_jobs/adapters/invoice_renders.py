"""Recording what the invoicing and comms services report: renders and deliveries."""

import json

from jobline_infra.postgres import Connection
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.unit_of_work import Causation, DeliveryStatuses, InvoiceRenders


class PostgresInvoiceRenders(InvoiceRenders):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, cmd: commands.RecordInvoiceRender) -> None:
        # A rendered PDF is final for its snapshot: a late failure report of a retried
        # render never hides a PDF that exists.
        await self._conn.execute(
            """INSERT INTO jobs.invoice_renders AS r (tenant_id, job_id, snapshot_sha256, status,
                   blob_key, pdf_sha256, pages, bytes, reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (tenant_id, job_id, snapshot_sha256) DO UPDATE
                  SET status = EXCLUDED.status, blob_key = EXCLUDED.blob_key,
                      pdf_sha256 = EXCLUDED.pdf_sha256, pages = EXCLUDED.pages,
                      bytes = EXCLUDED.bytes, reason = EXCLUDED.reason, updated_at = now()
                WHERE r.status <> 'rendered'""",
            cmd.tenant_id,
            cmd.job_id,
            cmd.snapshot_sha256,
            "rendered" if cmd.rendered else "failed",
            cmd.blob_key,
            cmd.pdf_sha256,
            cmd.pages,
            cmd.size_bytes,
            cmd.reason,
        )


# A final status is never overwritten by a late, earlier one (callbacks can race).
_FINAL = ("delivered", "failed", "bounced", "opted_out")


class PostgresDeliveryStatuses(DeliveryStatuses):
    def __init__(self, conn: Connection, causation: Causation) -> None:
        self._conn, self._causation = conn, causation

    async def record_status(self, cmd: commands.RecordDeliveryStatus) -> None:
        changed = await self._conn.fetchrow(
            """UPDATE jobs.deliveries d
                  SET status = $3, error_code = $4, error_message = $5, updated_at = $6
                 FROM jobs.communications c
                WHERE d.tenant_id = $1 AND d.delivery_id = $2
                  AND c.tenant_id = d.tenant_id AND c.communication_id = d.communication_id
                  AND NOT (d.status = ANY($7::text[]) AND $3 <> ALL($7::text[]))
            RETURNING c.job_id, d.communication_id, d.recipient_name, c.channel""",
            cmd.tenant_id,
            cmd.delivery_id,
            cmd.status,
            cmd.error_code,
            cmd.error_message,
            cmd.occurred_at,
            list(_FINAL),
        )
        if changed is None:
            return
        details = {
            "delivery_id": str(cmd.delivery_id),
            "status": cmd.status,
            "communication_id": str(changed["communication_id"]),
            "recipient": changed["recipient_name"],
            "channel": changed["channel"],
            "error_code": cmd.error_code,
            "error_message": cmd.error_message,
        }
        # Delivery outcomes belong on the job's timeline beside the request that caused them.
        await self._conn.execute(
            """INSERT INTO jobs.timeline (tenant_id, job_id, at, kind, type, cause, actor,
                   details, message_id)
               VALUES ($1, $2, $3, 'event', 'delivery.status_changed', $4, $5, $6, $7)""",
            cmd.tenant_id,
            changed["job_id"],
            cmd.occurred_at,
            self._causation.message_type,
            self._causation.actor,
            json.dumps(details),
            self._causation.message_id,
        )

    async def record_opt_out(self, cmd: commands.RecordOptOut) -> None:
        await self._conn.execute(
            """INSERT INTO jobs.opt_outs AS o (tenant_id, phone, opted_out, keyword, updated_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id, phone) DO UPDATE
                  SET opted_out = EXCLUDED.opted_out, keyword = EXCLUDED.keyword,
                      updated_at = EXCLUDED.updated_at
                WHERE o.updated_at <= EXCLUDED.updated_at""",
            cmd.tenant_id,
            cmd.phone,
            cmd.opted_out,
            cmd.keyword,
            cmd.occurred_at,
        )

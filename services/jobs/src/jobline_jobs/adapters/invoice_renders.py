"""Invoice renders (asked for, and what the invoicing service reported) and the statuses
of deliveries the comms service reports, for the unit of work."""

from uuid import UUID

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain import commands
from jobline_jobs.domain.sends import RenderRequest, TrackedDelivery
from jobline_jobs.service_layer.unit_of_work import DeliveryStatuses, InvoiceRenders


class PostgresInvoiceRenders(Tracking[RenderRequest], InvoiceRenders):
    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn

    async def requested(self, tenant_id: str, job_id: UUID, snapshot_sha256: str) -> bool:
        found = await self._conn.fetchval(
            """SELECT 1 FROM jobs.invoice_renders
                WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3""",
            tenant_id,
            job_id,
            snapshot_sha256,
        )
        return found is not None

    def add(self, request: RenderRequest) -> None:
        self._track((request.tenant_id, request.job_id), request)

    async def save(self, request: RenderRequest) -> None:
        # No ON CONFLICT: of two concurrent requests for one snapshot, the second fails on
        # the primary key and its outbox command goes with it, so one render is asked for.
        await self._conn.execute(
            """INSERT INTO jobs.invoice_renders (tenant_id, job_id, snapshot_sha256, status)
               VALUES ($1, $2, $3, 'requested')""",
            request.tenant_id,
            request.job_id,
            request.snapshot_sha256,
        )

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


class PostgresDeliveryStatuses(Tracking[TrackedDelivery], DeliveryStatuses):
    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn

    async def get(self, tenant_id: str, delivery_id: UUID) -> TrackedDelivery | None:
        row = await self._conn.fetchrow(
            """SELECT d.tenant_id, d.delivery_id, d.communication_id, c.job_id, j.job_number,
                      c.channel, d.recipient_name, d.status, d.error_code, d.error_message,
                      d.updated_at
                 FROM jobs.deliveries d
                 JOIN jobs.communications c USING (tenant_id, communication_id)
                 JOIN jobs.jobs j ON j.tenant_id = c.tenant_id AND j.job_id = c.job_id
                WHERE d.tenant_id = $1 AND d.delivery_id = $2
                  FOR UPDATE OF d""",
            tenant_id,
            delivery_id,
        )
        if row is None:
            return None
        return self._track((tenant_id, delivery_id), TrackedDelivery(*row))

    async def save(self, delivery: TrackedDelivery) -> None:
        await self._conn.execute(
            """UPDATE jobs.deliveries
                  SET status = $3, error_code = $4, error_message = $5, updated_at = $6
                WHERE tenant_id = $1 AND delivery_id = $2""",
            delivery.tenant_id,
            delivery.delivery_id,
            delivery.status,
            delivery.error_code,
            delivery.error_message,
            delivery.updated_at,
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

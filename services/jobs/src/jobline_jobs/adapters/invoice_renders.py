"""Invoice renders (asked for, and what the invoicing service reported) and the statuses
of deliveries the comms service reports, for the unit of work."""

from uuid import UUID

from jobline_jobs.adapters.engagement_rows import EngagementUpdate
from jobline_jobs.adapters.send_rows import DeliveryStatusUpdate, OptOut, RenderRequestInsert
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain import commands
from jobline_jobs.domain.email_engagement import RecordEngagement
from jobline_jobs.domain.sends import RenderRequest, TrackedDelivery
from jobline_jobs.service_layer.unit_of_work import DeliveryStatuses, InvoiceRenders

# A rendered PDF is final for its snapshot: a late failure report of a retried render
# never hides a PDF that exists. The CTE's update and the SELECT see the same snapshot.
RECORD_OUTCOME = """
    WITH recorded AS (
        UPDATE jobs.invoice_renders
           SET status = $4, blob_key = $5, pdf_sha256 = $6, pages = $7, bytes = $8,
               reason = $9, updated_at = now()
         WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3
           AND status <> 'rendered')
    SELECT EXISTS (SELECT 1 FROM jobs.invoice_renders
                    WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3)"""


class PostgresInvoiceRenders(Tracking[RenderRequest], InvoiceRenders):
    async def requested(self, tenant_id: str, job_id: UUID, snapshot_sha256: str) -> bool:
        await self._send_pending()  # a render asked for earlier in the transaction
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

    def save(self, request: RenderRequest) -> None:
        self._writer.add(
            RenderRequestInsert(request.tenant_id, request.job_id, request.snapshot_sha256)
        )

    async def record(self, cmd: commands.RecordInvoiceRender) -> bool:
        # One statement: the outcome lands on the tenant's own request only, and the
        # answer says whether there was one, so the tenant's check costs no query.
        await self._send_pending()  # a render asked for earlier in the transaction
        asked: bool = await self._conn.fetchval(
            RECORD_OUTCOME,
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
        return asked


# A tracked delivery, in the order of TrackedDelivery's fields. Read with its job locked
# (FOR UPDATE OF d, j): an outcome is published on the job's key, so it must take its
# place among the job's other changes as they commit, not as they happened to start.
_DELIVERY = """
    SELECT d.tenant_id, d.delivery_id, d.communication_id, c.job_id, j.job_number, c.channel,
           d.recipient_name, d.status, d.error_code, d.error_message, d.updated_at,
           d.recipient_id, j.customer_id
      FROM jobs.deliveries d
      JOIN jobs.communications c USING (tenant_id, communication_id)
      JOIN jobs.jobs j ON j.tenant_id = c.tenant_id AND j.job_id = c.job_id"""

# The latest text to a number that left (not one held back or refused for an opt-out),
# if the number was reachable until this STOP: not opted out, and its last change not
# newer than the STOP (an opt-out row keeps the newest change only). STOPs are rare: the
# scan of the tenant's deliveries by address costs nothing worth an index.
_ANSWERED = f"""{_DELIVERY}
     WHERE d.tenant_id = $1 AND d.address = $2 AND c.channel = 'sms'
       AND d.status NOT IN ('scheduled', 'canceled', 'opted_out')
       AND NOT EXISTS (SELECT 1 FROM jobs.opt_outs o
                        WHERE o.tenant_id = $1 AND o.phone = $2
                          AND (o.opted_out OR o.updated_at > $3))
     ORDER BY c.send_at DESC, d.delivery_id
     LIMIT 1
       FOR UPDATE OF d, j"""  # noqa: S608 - fixed text


class PostgresDeliveryStatuses(Tracking[TrackedDelivery], DeliveryStatuses):
    async def get(self, tenant_id: str, delivery_id: UUID) -> TrackedDelivery | None:
        await self._send_pending()  # a status or release recorded earlier in the transaction
        row = await self._conn.fetchrow(
            f"{_DELIVERY} WHERE d.tenant_id = $1 AND d.delivery_id = $2 FOR UPDATE OF d, j",
            tenant_id,
            delivery_id,
        )
        if row is None:
            return None
        return self._track((tenant_id, delivery_id), TrackedDelivery(*row))

    def save(self, delivery: TrackedDelivery) -> None:
        d = delivery
        self._writer.add(
            DeliveryStatusUpdate(
                d.tenant_id, d.delivery_id, d.status, d.error_code, d.error_message, d.updated_at
            )
        )

    # issue 19
    async def text_answered_by(self, cmd: commands.RecordOptOut) -> TrackedDelivery | None:
        await self._send_pending()  # an opt-out or a release earlier in the transaction
        row = await self._conn.fetchrow(_ANSWERED, cmd.tenant_id, cmd.phone, cmd.occurred_at)
        if row is None:
            return None
        return self._track((cmd.tenant_id, row["delivery_id"]), TrackedDelivery(*row))

    async def record_opt_out(self, cmd: commands.RecordOptOut) -> None:
        self._writer.add(
            OptOut(cmd.tenant_id, cmd.phone, cmd.opted_out, cmd.keyword, cmd.occurred_at)
        )

    # issue 20
    def record_engagement(self, cmd: RecordEngagement) -> None:
        self._writer.add(
            EngagementUpdate(
                cmd.tenant_id, cmd.delivery_id, cmd.opened_at, cmd.deferred_at, cmd.deferred_reason
            )
        )

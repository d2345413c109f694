"""Recording what the invoicing service reported, per invoice snapshot."""

from jobline_jobs.adapters.pg import Connection
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.unit_of_work import InvoiceRenders


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

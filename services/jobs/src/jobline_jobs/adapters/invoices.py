"""Issued invoices: the repository of the unit of work (issue, revise, void; the tenant's
counter; what a snapshot is built from; what a refund may give back), and the reads of
the API (the issued invoice as frozen, where the render of each snapshot stands)."""

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.book_rows import invoice_rows
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.snapshot_sources import SnapshotReads
from jobline_jobs.adapters.tenant_settings import tenant_profile
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.credit_notes import Credit
from jobline_jobs.domain.errors import UnknownTenant
from jobline_jobs.domain.issued_invoices import Frozen, Header, InvoiceTerms, IssuedInvoice
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer import unit_of_work
from jobline_jobs.service_layer.queries import InvoiceQueries
from jobline_jobs.service_layer.unit_of_work import SnapshotSources

_ISSUED = """
SELECT i.tenant_id, i.job_id, j.job_number, i.invoice_number, i.issued_on, i.due_on,
       j.currency, i.revision, i.status, i.paid, i.voided_reason, i.upstream_number,
       r.snapshot, r.snapshot_sha256, c.credited, c.credited_tax
  FROM jobs.invoices i
  JOIN jobs.jobs j ON j.tenant_id = i.tenant_id AND j.job_id = i.job_id
  JOIN jobs.invoice_revisions r ON r.tenant_id = i.tenant_id AND r.job_id = i.job_id
                               AND r.revision = i.revision
  -- what credit notes took off the current revision (0016)
 CROSS JOIN LATERAL (
       SELECT coalesce(sum(n.amount), 0) AS credited, coalesce(sum(n.tax), 0) AS credited_tax
         FROM jobs.credit_notes n
        WHERE n.tenant_id = i.tenant_id AND n.job_id = i.job_id AND n.revision = i.revision
       ) c
 WHERE (i.tenant_id, i.job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
   AND i.status <> 'reserved'
"""

# The tenant's counters: each UPDATE takes the tenant's row lock, so numbers follow issue order.
_NEXT_INVOICE = """UPDATE jobs.tenants SET next_invoice_seq = next_invoice_seq + 1
 WHERE tenant_id = $1 RETURNING next_invoice_seq - 1"""
_NEXT_CREDIT_NOTE = """UPDATE jobs.tenants SET next_credit_note_seq = next_credit_note_seq + 1
 WHERE tenant_id = $1 RETURNING next_credit_note_seq - 1"""


def _invoice(row: asyncpg.Record) -> IssuedInvoice:
    snapshot = json.loads(row["snapshot"])
    frozen = Frozen(
        snapshot,
        row["snapshot_sha256"],
        Decimal(snapshot["total"]),
        Decimal(snapshot["balance_due"]),
        Decimal(snapshot["tax"]),
    )
    return IssuedInvoice(
        row["tenant_id"],
        row["job_id"],
        row["job_number"],
        Header(row["invoice_number"], row["issued_on"], row["due_on"]),
        row["currency"],
        row["revision"],
        frozen,
        upstream_number=row["upstream_number"],
        voided=row["status"] == "voided",
        voided_reason=row["voided_reason"],
        paid=row["paid"],
        credited=Credit(row["credited"], row["credited_tax"]),
    )


class PostgresInvoices(Tracking[IssuedInvoice], unit_of_work.Invoices):
    def __init__(self, conn: Connection, writer: RowWriter, reads: SnapshotReads) -> None:
        super().__init__(conn, writer)
        self._reads = reads
        self._absent: set[tuple[str, UUID]] = set()
        self._new: set[tuple[str, UUID]] = set()

    async def look_up(self, keys: Iterable[tuple[str, UUID]]) -> None:
        """Load the issued invoices of these jobs in one statement (``get`` then answers
        from memory). Invoices issued in this transaction are tracked, never read back."""
        known, absent = self._tracked, self._absent  # (no set of all tracked per call)
        wanted = sorted({key for key in keys if key not in known and key not in absent})
        if not wanted:
            return
        rows = await self._conn.fetch(_ISSUED, [t for t, _ in wanted], [j for _, j in wanted])
        for row in rows:
            self._track((row["tenant_id"], row["job_id"]), _invoice(row))
        self._absent.update(key for key in wanted if key not in self._tracked)

    async def get(self, tenant_id: str, job_id: UUID) -> IssuedInvoice | None:
        key = (tenant_id, job_id)
        await self.look_up([key])
        return self._tracked.get(key)

    async def next_number(self, tenant_id: str) -> int:
        return await self._take(_NEXT_INVOICE, tenant_id)

    async def next_credit_note_number(self, tenant_id: str) -> int:
        return await self._take(_NEXT_CREDIT_NOTE, tenant_id)

    async def _take(self, counter: str, tenant_id: str) -> int:
        """The tenant's next number from ``counter``, under the tenant's row lock."""
        seq = await self._conn.fetchval(counter, tenant_id)
        if seq is None:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return int(seq)

    async def terms(self, tenant_id: str) -> InvoiceTerms:
        tenant = await self._reads.tenant(tenant_id)
        if not tenant:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return InvoiceTerms(
            tenant["time_zone"], tenant["payment_terms_days"], tenant["invoice_revision_convention"]
        )

    async def sources(self, job: Job) -> SnapshotSources:
        return await self._reads.sources(job)

    async def look_up_sources(self, jobs: Iterable[Job], issuing: set[tuple[str, UUID]]) -> None:
        """Ahead of a batch, what the snapshots of ``jobs`` need, for those whose invoice
        is issued (``look_up`` came first) or to be (``issuing``): one statement each."""
        known = self._tracked
        await self._reads.look_up(
            job for job in jobs if (key := (job.tenant_id, job.job_id)) in issuing or key in known
        )

    async def refundable(self, tenant_id: str, payment_id: UUID) -> tuple[UUID, Decimal] | None:
        await self._send_pending()  # payments and refunds recorded earlier in a batch
        row = await self._conn.fetchrow(
            """SELECT p.job_id, p.amount - coalesce((SELECT sum(r.amount)
                        FROM jobs.payment_refunds r
                       WHERE r.tenant_id = p.tenant_id AND r.payment_id = p.payment_id), 0)
                 FROM jobs.payments p WHERE p.tenant_id = $1 AND p.payment_id = $2""",
            tenant_id,
            payment_id,
        )
        return None if row is None else (row[0], row[1])

    def add(self, invoice: IssuedInvoice) -> None:
        key = (invoice.tenant_id, invoice.job_id)
        self._track(key, invoice)
        self._new.add(key)
        self._absent.discard(key)

    def forget(self) -> None:
        super().forget()
        self._new.clear()
        self._absent.clear()
        self._reads.forget()

    def save(self, invoice: IssuedInvoice) -> None:
        key = (invoice.tenant_id, invoice.job_id)
        new = key in self._new
        self._new.discard(key)
        self._writer.extend(invoice_rows(invoice, new=new))


async def _credit_notes(pool: asyncpg.Pool, tenant_id: str, job_id: UUID) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT credit_note_number AS number, issued_on, amount, tax, revision, cause
             FROM jobs.credit_notes WHERE tenant_id = $1 AND job_id = $2
            ORDER BY issued_at, length(credit_note_number), credit_note_number""",
        tenant_id,
        job_id,
    )
    return [dict(r) for r in rows]


class PostgresInvoiceQueries(InvoiceQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        async with self._pool.acquire() as conn:
            return await tenant_profile(conn, tenant_id) or {}

    async def issued(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(_ISSUED, [tenant_id], [job_id])
        if row is None:
            return None
        snapshot = json.loads(row["snapshot"])
        return {
            "invoice_number": row["invoice_number"],
            "revision": row["revision"],
            "status": "voided" if row["status"] == "voided" else "issued",
            "voided_reason": row["voided_reason"],
            "paid": row["paid"],
            "snapshot": snapshot,
            "snapshot_sha256": row["snapshot_sha256"],
            "billed": Decimal(snapshot["total"]) - row["credited"],
            "balance_due": Decimal(snapshot["balance_due"]) - row["credited"],
            "credit_notes": await _credit_notes(self._pool, tenant_id, job_id),
        }

    async def render(self, tenant_id: str, job_id: UUID, sha: str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            """SELECT status, blob_key, pdf_sha256, pages, bytes, reason FROM jobs.invoice_renders
                WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3""",
            tenant_id,
            job_id,
            sha,
        )
        return None if row is None else dict(row)

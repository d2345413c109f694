"""Invoices: numbering them (for the unit of work), and the reads of the API: number and
dates, the tenant's branding, where the render of each snapshot stands."""

from typing import Any
from uuid import UUID

import asyncpg

from jobline_jobs.adapters.send_rows import InvoiceInsert
from jobline_jobs.adapters.tenant_settings import tenant_profile
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.errors import UnknownTenant
from jobline_jobs.domain.invoices import Invoice, InvoiceTerms
from jobline_jobs.service_layer import unit_of_work
from jobline_jobs.service_layer.queries import InvoiceHeader, InvoiceQueries


class PostgresInvoices(Tracking[Invoice], unit_of_work.Invoices):
    async def numbered(self, tenant_id: str, job_id: UUID) -> bool:
        await self._send_pending()  # an invoice numbered earlier in the transaction
        found = await self._conn.fetchval(
            "SELECT 1 FROM jobs.invoices WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
        )
        return found is not None

    async def next_number(self, tenant_id: str) -> InvoiceTerms:
        tenant = await self._conn.fetchrow(
            """UPDATE jobs.tenants SET next_invoice_seq = next_invoice_seq + 1
                WHERE tenant_id = $1
            RETURNING next_invoice_seq - 1 AS seq, time_zone, payment_terms_days""",
            tenant_id,
        )
        if tenant is None:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return InvoiceTerms(*tenant)

    def add(self, invoice: Invoice) -> None:
        self._track((invoice.tenant_id, invoice.job_id), invoice)

    def save(self, invoice: Invoice) -> None:
        i = invoice
        self._writer.add(InvoiceInsert(i.tenant_id, i.job_id, i.number, i.issued_on, i.due_on))


class PostgresInvoiceQueries(InvoiceQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def header(self, tenant_id: str, job_id: UUID) -> InvoiceHeader | None:
        row = await self._pool.fetchrow(
            """SELECT invoice_number, issued_on, due_on FROM jobs.invoices
                WHERE tenant_id = $1 AND job_id = $2""",
            tenant_id,
            job_id,
        )
        return None if row is None else InvoiceHeader(*row)

    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        async with self._pool.acquire() as conn:
            return await tenant_profile(conn, tenant_id) or {}

    async def render(self, tenant_id: str, job_id: UUID, sha: str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            """SELECT status, blob_key, pdf_sha256, pages, bytes, reason FROM jobs.invoice_renders
                WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3""",
            tenant_id,
            job_id,
            sha,
        )
        return None if row is None else dict(row)

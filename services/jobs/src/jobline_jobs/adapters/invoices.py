"""Invoices: numbers (given on first need), the tenant's branding, and where the render
of each snapshot stands."""

import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.service_layer.queries import InvoiceHeader, InvoiceQueries


async def _header(conn: Connection, tenant_id: str, job_id: UUID) -> InvoiceHeader | None:
    row = await conn.fetchrow(
        """SELECT invoice_number, issued_on, due_on FROM jobs.invoices
            WHERE tenant_id = $1 AND job_id = $2""",
        tenant_id,
        job_id,
    )
    return None if row is None else InvoiceHeader(*row)


async def ensure_number(conn: Connection, tenant_id: str, job_id: UUID) -> InvoiceHeader:
    """The job's invoice number, assigned on first need from the tenant's counter."""
    if (found := await _header(conn, tenant_id, job_id)) is not None:
        return found
    async with conn.transaction():
        tenant = await conn.fetchrow(
            """UPDATE jobs.tenants SET next_invoice_seq = next_invoice_seq + 1
                WHERE tenant_id = $1
            RETURNING next_invoice_seq - 1 AS seq, time_zone, payment_terms_days""",
            tenant_id,
        )
        if tenant is None:
            raise LookupError(f"tenant {tenant_id!r} does not exist")
        # Someone may have numbered it while we waited for the tenant's row lock.
        if (found := await _header(conn, tenant_id, job_id)) is not None:
            raise _AlreadyNumbered(found)
        issued = datetime.now(ZoneInfo(tenant["time_zone"])).date()
        header = InvoiceHeader(
            f"INV-{tenant['seq']:06d}",
            issued,
            issued + timedelta(days=tenant["payment_terms_days"]),
        )
        await conn.execute(
            """INSERT INTO jobs.invoices (tenant_id, job_id, invoice_number, issued_on, due_on)
               VALUES ($1, $2, $3, $4, $5)""",
            tenant_id,
            job_id,
            header.number,
            header.issued_on,
            header.due_on,
        )
    return header


class _AlreadyNumbered(Exception):
    def __init__(self, header: InvoiceHeader) -> None:
        self.header = header


class Invoices(InvoiceQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def header(self, tenant_id: str, job_id: UUID) -> InvoiceHeader:
        async with self._pool.acquire() as conn:
            try:
                return await ensure_number(conn, tenant_id, job_id)
            except _AlreadyNumbered as already:
                return already.header

    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        row = await self._pool.fetchrow(
            """SELECT name, business_address, logo_blob_key, primary_colour, locale
                 FROM jobs.tenants WHERE tenant_id = $1""",
            tenant_id,
        )
        tenant = dict(row or {})
        raw = tenant.get("business_address")
        tenant["business_address"] = json.loads(raw) if raw else None
        return tenant

    async def render(self, tenant_id: str, job_id: UUID, sha: str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            """SELECT status, blob_key, pdf_sha256, pages, bytes, reason FROM jobs.invoice_renders
                WHERE tenant_id = $1 AND job_id = $2 AND snapshot_sha256 = $3""",
            tenant_id,
            job_id,
            sha,
        )
        return None if row is None else dict(row)

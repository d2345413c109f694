"""Invoices: numbers, the self-contained snapshot sent to the invoicing service, and
render requests (written with their outbox command in one transaction).

An invoice is always the job as it is now: its snapshot is rebuilt on every request and
its sha256 (of the canonical JSON) picks the PDF. A PDF rendered from any other snapshot
is never served as current.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from jobline_contracts.envelope import Envelope
from jobline_contracts.invoicing import (
    BillingShare,
    Branding,
    InvoiceLine,
    InvoiceSnapshot,
    RenderInvoice,
    ScheduledShare,
)
from jobline_contracts.topics import INVOICING_COMMANDS
from jobline_contracts.types import Address
from jobline_infra.postgres import Connection
from jobline_jobs.adapters import outbox
from jobline_jobs.adapters.outbox import envelope_row
from jobline_jobs.domain.money import to_cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InvoiceHeader:
    number: str
    issued_on: date
    due_on: date


def canonical_sha256(snapshot: InvoiceSnapshot) -> str:
    """sha256 of the snapshot's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(snapshot.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def _address(raw: dict[str, Any] | None) -> Address | None:
    return None if raw is None else Address.model_validate(raw)


def build_snapshot(
    job: dict[str, Any],
    tenant: dict[str, Any],
    header: InvoiceHeader,
    schedule: list[dict[str, Any]],
    parent_number: str | None,
) -> InvoiceSnapshot:
    """Everything the PDF prints, from the job as it is now."""
    lines = [
        InvoiceLine(
            description=li["description"],
            quantity=li["quantity"],
            unit_price=li["unit_price"],
            amount=to_cents(li["quantity"] * li["unit_price"]),
            taxable=li["taxable"],
        )
        for li in job["line_items"]
    ]
    subtotal = sum((li.amount for li in lines), Decimal("0.00"))
    tax = job["total"] - subtotal
    share = None
    if job["parent_job_id"] is not None and parent_number is not None:
        percent = job["share_percent"]
        share = BillingShare(
            parent_job_number=parent_number,
            share_percent=None if percent is None else percent / HUNDRED,
            share_amount=job["share_amount"],
            schedule=[
                ScheduledShare(
                    job_number=s["job_number"],
                    title=s["title"],
                    amount=s["share_amount"],
                    bill_on=s["bill_on"],
                )
                for s in schedule
            ],
        )
    return InvoiceSnapshot(
        invoice_number=header.number,
        issued_on=header.issued_on,
        due_on=header.due_on,
        job_number=job["job_number"],
        branding=Branding(
            business_name=tenant["name"],
            address=_address(tenant["business_address"]),
            logo_blob_key=tenant["logo_blob_key"],
            primary_colour=tenant["primary_colour"],
            locale=tenant["locale"],
        ),
        customer_name=job["customer_name"] or "Customer",
        billing_address=_address(job["billing_address"]),
        property_address=_address(job["property_address_parts"])
        or Address(line1=job["property_address"] or "Address not known", city="-"),
        currency=job["currency"],
        lines=lines,
        subtotal=subtotal,
        tax_rate=job["tax_rate"],
        tax=tax,
        total=job["total"],
        amount_paid=job["amount_paid"],
        balance_due=job["total"] - job["amount_paid"],
        billing_share=share,
    )


class Invoices:
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

    async def request_render(
        self, tenant_id: str, job_id: UUID, snapshot: InvoiceSnapshot, sha: str
    ) -> bool:
        """Ask for a render of this snapshot unless one was asked for already; True if asked.

        The request row and the outbox command commit together; concurrent downloads of
        one invoice race on the row's primary key, so exactly one render is requested.
        """
        envelope = Envelope.wrap(
            RenderInvoice(job_id=job_id, snapshot_sha256=sha, snapshot=snapshot),
            tenant_id=tenant_id,
        )
        async with self._pool.acquire() as conn, conn.transaction():
            asked = await conn.fetchval(
                """INSERT INTO jobs.invoice_renders (tenant_id, job_id, snapshot_sha256, status)
                   VALUES ($1, $2, $3, 'requested') ON CONFLICT DO NOTHING RETURNING true""",
                tenant_id,
                job_id,
                sha,
            )
            if not asked:
                return False
            await outbox.insert(conn, [envelope_row(INVOICING_COMMANDS.name, job_id, envelope)])
        return True

"""Typed rows of the books (issue 16): issued invoices and their frozen revisions, credit
notes, a job's lines replaced, refunds. ``rows.STATEMENTS`` places them after the rows of
communications and invoicing (so after the jobs and payments they refer to)."""

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from jobline_jobs.domain import events
from jobline_jobs.domain.issued_invoices import IssuedInvoice
from jobline_jobs.domain.model import Job


class InvoiceIssuedRow(NamedTuple):
    tenant_id: str
    job_id: UUID
    invoice_number: str
    issued_on: date
    due_on: date
    upstream_number: bool
    issued_at: datetime


class InvoiceUpdate(NamedTuple):
    """An issued invoice's changeable state after one message."""

    tenant_id: str
    job_id: UUID
    revision: int
    status: str
    paid: bool
    voided_reason: str | None


class InvoiceRevisionInsert(NamedTuple):
    tenant_id: str
    job_id: UUID
    revision: int
    cause: str
    snapshot: str  # canonical JSON
    snapshot_sha256: str
    recorded_at: datetime


class LinesReplaced(NamedTuple):
    """The job's new lines (JSON), tax rate and total; lines no longer listed go."""

    tenant_id: str
    job_id: UUID
    tax_rate: Decimal
    total: Decimal
    lines: str  # JSON: [{line_id, position, code, description, quantity, unit_price, taxable}]


class RefundInsert(NamedTuple):
    tenant_id: str
    refund_id: UUID
    payment_id: UUID
    job_id: UUID
    amount: Decimal
    reason: str | None
    refunded_at: datetime


class CreditNoteInsert(NamedTuple):
    tenant_id: str
    credit_note_number: str
    job_id: UUID
    revision: int
    issued_on: date
    amount: Decimal
    tax: Decimal
    cause: str
    issued_at: datetime


BookRow = (
    InvoiceIssuedRow
    | InvoiceUpdate
    | InvoiceRevisionInsert
    | LinesReplaced
    | RefundInsert
    | CreditNoteInsert
)

STATEMENTS: dict[type[BookRow], str] = {
    # A number reserved by a read before migration 0012 gives way to the issued one.
    InvoiceIssuedRow: """INSERT INTO jobs.invoices AS i (tenant_id, job_id, invoice_number,
            issued_on, due_on, upstream_number, issued_at, status, revision)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'issued', 0)
        ON CONFLICT (tenant_id, job_id) DO UPDATE
           SET invoice_number = EXCLUDED.invoice_number, issued_on = EXCLUDED.issued_on,
               due_on = EXCLUDED.due_on, upstream_number = EXCLUDED.upstream_number,
               issued_at = EXCLUDED.issued_at, status = 'issued'
         WHERE i.status = 'reserved'""",
    InvoiceUpdate: """UPDATE jobs.invoices SET revision = $3, status = $4, paid = $5,
               voided_reason = $6
         WHERE tenant_id = $1 AND job_id = $2""",
    InvoiceRevisionInsert: """INSERT INTO jobs.invoice_revisions (tenant_id, job_id, revision,
            cause, snapshot, snapshot_sha256, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
    # One statement: lines kept are updated in place, new ones inserted, the rest deleted.
    LinesReplaced: """WITH new AS (
            SELECT * FROM jsonb_to_recordset($5::jsonb) AS l(line_id uuid, position int,
                code text, description text, quantity numeric, unit_price numeric,
                taxable boolean)),
        gone AS (
            DELETE FROM jobs.line_items o WHERE o.tenant_id = $1 AND o.job_id = $2
               AND o.line_id NOT IN (SELECT line_id FROM new)),
        job AS (
            UPDATE jobs.jobs SET tax_rate = $3, total = $4 WHERE tenant_id = $1 AND job_id = $2)
        INSERT INTO jobs.line_items AS li (tenant_id, job_id, line_id, position, code,
            description, quantity, unit_price, taxable)
        SELECT $1, $2, line_id, position, code, description, quantity, unit_price, taxable
          FROM new
        ON CONFLICT (tenant_id, job_id, line_id) DO UPDATE
           SET position = EXCLUDED.position, code = EXCLUDED.code,
               description = EXCLUDED.description, quantity = EXCLUDED.quantity,
               unit_price = EXCLUDED.unit_price, taxable = EXCLUDED.taxable""",
    RefundInsert: """INSERT INTO jobs.payment_refunds (tenant_id, refund_id, payment_id, job_id,
            amount, reason, refunded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
    CreditNoteInsert: """INSERT INTO jobs.credit_notes (tenant_id, credit_note_number, job_id,
            revision, issued_on, amount, tax, cause, issued_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
}


def job_event_rows(job: Job, event: events.Event, at: datetime, add: Callable[..., None]) -> None:
    """The rows a job's event of the books implies (``job_rows`` asks)."""
    match event:
        case events.LinesChanged():
            add(LinesReplaced(job.tenant_id, job.job_id, job.tax_rate, job.total, _lines(job)))
        case events.PaymentRefunded():
            add(
                RefundInsert(
                    job.tenant_id,
                    event.refund_id,
                    event.payment_id,
                    job.job_id,
                    event.amount,
                    event.reason,
                    at,
                )
            )
        case _:
            pass


def _lines(job: Job) -> str:
    return json.dumps(
        [
            {
                "line_id": str(li.line_id),
                "position": n,
                "code": li.code,
                "description": li.description,
                "quantity": str(li.quantity),
                "unit_price": str(li.unit_price),
                "taxable": li.taxable,
            }
            for n, li in enumerate(job.line_items)
        ]
    )


def invoice_rows(invoice: IssuedInvoice, *, new: bool) -> list[BookRow]:
    """The invoice's rows after one message: its row (issued, then updated) and each
    revision it froze, at the time of the fact that froze it."""
    i = invoice
    written: list[BookRow] = []
    for event in i.events:
        match event:
            case events.InvoiceIssued() if new:
                h = i.header
                written.append(
                    InvoiceIssuedRow(
                        i.tenant_id,
                        i.job_id,
                        h.number,
                        h.issued_on,
                        h.due_on,
                        i.upstream_number,
                        event.at,
                    )
                )
                written.append(_revision(i, event, revision=1, cause="issued"))
            case events.InvoiceRevised():
                written.append(_revision(i, event, revision=event.revision, cause=event.cause))
            case events.InvoiceCredited():
                written.append(
                    CreditNoteInsert(
                        i.tenant_id,
                        event.credit_note_number,
                        i.job_id,
                        event.revision,
                        event.issued_on,
                        event.amount,
                        event.tax,
                        event.cause,
                        event.at,
                    )
                )
            case _:
                pass
    status = "voided" if i.voided else "issued"
    written.append(
        InvoiceUpdate(i.tenant_id, i.job_id, i.revision, status, i.paid, i.voided_reason)
    )
    return written


def _revision(
    invoice: IssuedInvoice,
    frozen: events.InvoiceIssued | events.InvoiceRevised,
    *,
    revision: int,
    cause: str,
) -> InvoiceRevisionInsert:
    canonical = json.dumps(frozen.snapshot, sort_keys=True, separators=(",", ":"))
    return InvoiceRevisionInsert(
        invoice.tenant_id,
        invoice.job_id,
        revision,
        cause,
        canonical,
        frozen.snapshot_sha256,
        frozen.at,
    )

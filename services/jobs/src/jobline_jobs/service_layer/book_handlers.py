"""Handlers of the books (issue 16): issuing an invoice, revising it (or crediting it,
under the tenant's credit-note convention) when the job's money changes, voiding it,
lines changed and payments refunded upstream."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from jobline_jobs.domain import commands, events, job_money
from jobline_jobs.domain.credit_notes import (
    CREDITED_CAUSES,
    REVISED_INVOICE,
    CreditNote,
    credit_note_number,
)
from jobline_jobs.domain.errors import Conflict, InvalidRequest, UnknownJob
from jobline_jobs.domain.issued_invoices import (
    Frozen,
    Header,
    IssuedInvoice,
    number_of,
    scheduled_into_subjobs,
)
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer import commission_handlers
from jobline_jobs.service_layer.invoice_snapshot import build_snapshot, canonical_sha256
from jobline_jobs.service_layer.queries import InvoiceHeader
from jobline_jobs.service_layer.unit_of_work import SnapshotSources, UnitOfWork


async def _job(uow: UnitOfWork, cmd: commands.JobCommand) -> Job:
    job = await uow.jobs.get(cmd.tenant_id, cmd.job_id)
    if job is None:
        raise UnknownJob(f"tenant {cmd.tenant_id} has no job {cmd.job_id}")
    return job


def _scaled(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


def _as_printed(job: Job) -> dict[str, Any]:
    """The job's money as the snapshot prints it, from the aggregate (which may have
    changed in this very unit of work), at the scales PostgreSQL keeps: the same job
    freezes to the same bytes whether it came from a fact or from its row. A parent is
    billed for what its subjobs do not bill: their shares are taken off as one line."""
    lines: list[dict[str, Any]] = [
        {
            "description": li.description,
            "quantity": _scaled(li.quantity, 3),
            "unit_price": _scaled(li.unit_price, 2),
            "taxable": li.taxable,
        }
        for li in job.line_items
    ]
    total = job.total
    scheduled = scheduled_into_subjobs(job)
    if scheduled:
        lines.append(
            {
                "description": "Scheduled into subjobs (billed by stage)",
                "quantity": _scaled(Decimal(1), 3),
                "unit_price": _scaled(-scheduled, 2),
                "taxable": False,
            }
        )
        total -= scheduled
    share = job.share
    return {
        "job_number": job.job_number,
        "currency": job.currency,
        "line_items": lines,
        "tax_rate": _scaled(job.tax_rate, 4),
        "total": _scaled(total, 2),
        "amount_paid": _scaled(job.amount_paid, 2),
        "parent_job_id": job.parent_job_id,
        "share_percent": _scaled(share.percent, 4) if share and share.percent else None,
        "share_amount": _scaled(share.amount, 2) if share else None,
    }


def _payments(job: Job, stored: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    """The payments the snapshot prints: those stored, and those recorded in this very
    unit of work (still events on the aggregate, their rows not written yet)."""
    known = {p["payment_id"] for p in stored}
    recorded_now = [
        {"payment_id": e.payment_id, "amount": e.amount, "method": e.method, "recorded_at": at}
        for e in job.events
        if isinstance(e, events.PaymentRecorded) and e.payment_id not in known
    ]
    return [*stored, *recorded_now]


def freeze(job: Job, sources: SnapshotSources, header: Header, at: datetime) -> Frozen:
    """The snapshot of ``job`` under ``header`` at ``at``, frozen: canonical JSON and its
    sha256."""
    payments = _payments(job, sources.job.get("payments", []), at)
    snapshot = build_snapshot(
        {**sources.job, **_as_printed(job), "payments": payments},
        sources.tenant,
        InvoiceHeader(header.number, header.issued_on, header.due_on),
        sources.schedule,
        sources.parent_number,
    )
    dumped = snapshot.model_dump(mode="json")
    return Frozen(
        dumped,
        canonical_sha256(dumped),
        snapshot.total,
        snapshot.balance_due,
        snapshot.tax,
    )


async def issue_invoice(cmd: commands.IssueInvoice, uow: UnitOfWork) -> None:
    # The job's row lock gives one invoice per job; the tenant's, numbers in issue order.
    job = await _job(uow, cmd)
    issued = await uow.invoices.get(cmd.tenant_id, cmd.job_id)
    if issued is not None:
        raise Conflict(
            f"the invoice of job {job.job_number} was issued already ({issued.number}):"
            " an invoice is issued once"
        )
    scheduled_into_subjobs(job)  # a parent its subjobs bill whole has a statement instead
    job.invoice()
    terms = await uow.invoices.terms(cmd.tenant_id)
    issued_on, due_on = terms.dates(cmd.occurred_at, cmd.issued_on, cmd.due_on)
    number = cmd.number or number_of(await uow.invoices.next_number(cmd.tenant_id))
    header = Header(number, issued_on, due_on)
    sources = await uow.invoices.sources(job)
    frozen = freeze(job, sources, header, cmd.occurred_at)
    uow.invoices.add(
        IssuedInvoice.issue(
            job, header, frozen, by=cmd.by, upstream_number=bool(cmd.number), at=cmd.occurred_at
        )
    )


async def revise_invoice(uow: UnitOfWork, job: Job, cause: str, at: datetime) -> None:
    """After a change to the job's money: a new revision of its issued invoice, if the
    snapshot changed, or a credit note if the change lowered what it bills and the
    tenant's convention says so (a voided invoice stays as it was voided)."""
    invoice = await uow.invoices.get(job.tenant_id, job.job_id)
    if invoice is None or invoice.voided:
        return
    sources = await uow.invoices.sources(job)
    frozen = freeze(job, sources, invoice.header, at)
    # Payments and refunds are revisions whatever the convention: no need to ask it.
    terms = await uow.invoices.terms(job.tenant_id) if cause in CREDITED_CAUSES else None
    credit = invoice.credit_due(frozen, terms.convention if terms else REVISED_INVOICE, cause)
    if terms is None or credit is None:
        invoice.revise(frozen, cause, at)
        return
    number = credit_note_number(await uow.invoices.next_credit_note_number(job.tenant_id))
    invoice.credit(CreditNote(number, invoice.revision, terms.day_of(at), credit, cause), at)


async def change_lines(cmd: commands.ChangeLines, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    invoice = await uow.invoices.get(cmd.tenant_id, cmd.job_id)
    if invoice is not None:
        invoice.refuse_if_voided("job.lines_changed")
    job_money.change_lines(job, cmd.line_items, cmd.tax_rate, cmd.occurred_at)
    await revise_invoice(uow, job, "job.lines_changed", cmd.occurred_at)
    await commission_handlers.total_changed(uow, job, "job.lines_changed", cmd.occurred_at)


async def refund_payment(cmd: commands.RefundPayment, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    payment = await uow.invoices.refundable(cmd.tenant_id, cmd.payment_id)
    if payment is None or payment[0] != cmd.job_id:
        raise InvalidRequest(
            f"payment {cmd.payment_id} is not recorded on job {job.job_number}:"
            " only a recorded payment can be refunded"
        )
    if cmd.amount > payment[1]:
        raise InvalidRequest(
            f"a refund cannot exceed its payment: {cmd.amount} asked, {payment[1]} of payment"
            f" {cmd.payment_id} is left to refund"
        )
    job_money.refund_payment(job, cmd.payment_id, cmd.refund_id, cmd.amount, cmd.reason)
    await revise_invoice(uow, job, "payment.refunded", cmd.occurred_at)


async def void_invoice(cmd: commands.VoidInvoice, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    invoice = await uow.invoices.get(cmd.tenant_id, cmd.job_id)
    if invoice is None:
        raise Conflict(f"job {job.job_number} has no issued invoice to void")
    invoice.void(cmd.reason)

"""Upstream facts (wire) → domain commands. Nothing else crosses from wire to domain."""

from typing import Any

from jobline_contracts import comms, facts, invoicing
from jobline_contracts.envelope import Envelope
from jobline_contracts.types import Address as WireAddress
from jobline_jobs.domain import commands as c
from jobline_jobs.domain import replies
from jobline_jobs.domain.email_engagement import RecordEngagement


def _address(a: WireAddress) -> c.Address:
    return c.Address(a.line1, a.line2, a.city, a.region, a.postal_code, a.country)


def _contacts(contacts: list[facts.Contact]) -> tuple[c.ContactInfo, ...]:
    return tuple(c.ContactInfo(x.contact_id, x.name, x.phone, x.email, x.role) for x in contacts)


def _visit(d: facts.DispatchRecord) -> c.Visit:
    return c.Visit(d.dispatch_id, d.technician_id, d.arrival_window.start, d.arrival_window.end)


def _lines(lines: list[facts.LineItem]) -> tuple[c.LineItem, ...]:
    return tuple(
        c.LineItem(li.line_id, li.code, li.description, li.quantity, li.unit_price, li.taxable)
        for li in lines
    )


def fact_to_command(envelope: Envelope[Any]) -> c.Command:  # noqa: PLR0911, PLR0912 - one arm per fact
    """The command an upstream fact asks for."""
    t, at, p = envelope.tenant_id, envelope.occurred_at, envelope.payload
    match p:
        case facts.CustomerUpserted():
            address = _address(p.billing_address) if p.billing_address else None
            return c.UpsertCustomer(t, at, p.customer_id, p.name, _contacts(p.contacts), address)
        case facts.PropertyUpserted():
            return c.UpsertProperty(
                t, at, p.property_id, p.customer_id, _address(p.address), _contacts(p.contacts)
            )
        case facts.TechnicianUpserted():
            card = tuple(c.RateCardLine(r.code, r.description, r.unit_price) for r in p.rate_card)
            return c.UpsertTechnician(
                t, at, p.technician_id, p.name, p.phone, p.commission_rate, card, p.currency
            )
        case facts.JobDispatched():
            return c.DispatchJob(
                t,
                at,
                p.job_id,
                p.job_number,
                p.customer_id,
                p.property_id,
                p.technician_id,
                p.summary,
                p.schedule.start,
                p.schedule.end,
                p.currency,
                p.tax_rate if "tax_rate" in p.model_fields_set else None,
                _lines(p.line_items),
                _visit(p.dispatch),
            )
        case facts.DispatchAssigned():
            return c.AssignDispatch(t, at, p.job_id, _visit(p.dispatch))
        case facts.DispatchStatusChanged():
            return c.ChangeDispatchStatus(t, at, p.job_id, p.dispatch_id, p.status)
        case facts.JobRescheduled():
            return c.RescheduleJob(t, at, p.job_id, p.schedule.start, p.schedule.end)
        case facts.JobStarted():
            return c.StartJob(t, at, p.job_id)
        case facts.JobWorkCompleted():
            return c.CompleteWork(t, at, p.job_id, p.completed_at)
        case facts.JobQualityChecked():
            return c.RecordQualityCheck(t, at, p.job_id, p.outcome == "passed", p.notes)
        case facts.JobInvoiced():
            return c.IssueInvoice(t, at, p.job_id, p.issued_on, p.due_on, p.invoice_number)
        case facts.PaymentRecorded():
            return c.RecordPayment(t, at, p.job_id, p.payment_id, p.amount, p.method)
        case facts.JobCanceled():
            return c.CancelJob(t, at, p.job_id, p.reason)
        case facts.DocumentAdded():
            return c.AddDocument(
                t,
                at,
                p.document_id,
                p.job_id,
                p.property_id,
                p.kind.value,
                p.blob_key,
                p.filename,
                p.content_type,
                p.size_bytes,
            )
        # issue 16: the books
        case facts.JobLinesChanged():
            return c.ChangeLines(t, at, p.job_id, _lines(p.line_items), p.tax_rate)
        case facts.PaymentRefunded():
            return c.RefundPayment(t, at, p.job_id, p.payment_id, p.refund_id, p.amount, p.reason)
        case facts.InvoiceVoided():
            return c.VoidInvoice(t, at, p.job_id, p.reason)
        # issue 16, commissions
        case facts.TechnicianReassigned():
            return c.ReassignTechnician(t, at, p.job_id, p.technician_id, p.reason)
    raise TypeError(f"no command for {type(p).__name__}")


def invoicing_event_to_command(envelope: Envelope[Any]) -> c.Command:
    """The bookkeeping an invoicing event asks for."""
    t, at, p = envelope.tenant_id, envelope.occurred_at, envelope.payload
    match p:
        case invoicing.InvoiceRendered():
            return c.RecordInvoiceRender(
                t,
                at,
                p.job_id,
                p.snapshot_sha256,
                rendered=True,
                blob_key=p.blob_key,
                pdf_sha256=p.sha256,
                pages=p.pages,
                size_bytes=p.bytes,
            )
        case invoicing.InvoiceRenderFailed():
            return c.RecordInvoiceRender(
                t, at, p.job_id, p.snapshot_sha256, rendered=False, reason=p.reason
            )
    raise TypeError(f"no command for {type(p).__name__}")


def comms_event_to_command(envelope: Envelope[Any]) -> c.Command:
    """The bookkeeping a comms event asks for."""
    t, at, p = envelope.tenant_id, envelope.occurred_at, envelope.payload
    match p:
        case comms.DeliveryStatusChanged():
            return c.RecordDeliveryStatus(
                t, at, p.delivery_id, p.status.value, p.error_code, p.error_message
            )
        case comms.RecipientOptedOut():
            return c.RecordOptOut(t, at, p.phone, opted_out=True, keyword=p.keyword)
        case comms.RecipientOptedIn():
            return c.RecordOptOut(t, at, p.phone, opted_out=False, keyword=p.keyword)
        # issue 20: replies
        case comms.ReplyReceived():
            return replies.RecordReply(
                t,
                at,
                p.reply_id,
                p.channel,
                p.sender,
                p.subject,
                p.body,
                p.received_at,
                tuple(
                    replies.ReplyFile(
                        f.blob_key, f.filename, f.content_type, f.size_bytes, f.sha256
                    )
                    for f in p.attachments
                ),
                tuple(
                    replies.RefusedFile(f.filename, f.content_type, f.size_bytes, f.reason)
                    for f in p.refused_attachments
                ),
            )
        # issue 20: email opens and deferrals
        case comms.DeliveryEngagementChanged():
            return RecordEngagement(
                t, at, p.delivery_id, p.opened_at, p.deferred_at, p.deferred_reason
            )
    raise TypeError(f"no command for {type(p).__name__}")

"""Domain events → lifecycle payloads, for ``wire`` (which puts them in envelopes)."""

from functools import singledispatch

from jobline_contracts import lifecycle as wire
from jobline_contracts.envelope import Payload
from jobline_contracts.facts import DispatchStatus, DocumentKind
from jobline_jobs.domain import commissions, delivery_outcomes, events
from jobline_jobs.domain.replies import ReplyReceived


@singledispatch
def to_wire(event: events.Event) -> Payload:
    """The lifecycle payload published for a domain event."""
    raise NotImplementedError(f"no lifecycle message for {type(event).__name__}")


@to_wire.register
def _(event: events.JobCreated) -> Payload:
    return wire.JobCreated(
        job_id=event.job_id,
        job_number=event.job_number,
        customer_id=event.customer_id,
        property_id=event.property_id,
        technician_id=event.technician_id,
        step=wire.JobStep(event.step.value),
        scheduled_start=event.scheduled_start,
        scheduled_end=event.scheduled_end,
        currency=event.currency,
        total=event.total,
    )


@to_wire.register
def _(event: events.StepChanged) -> Payload:
    return wire.JobStatusChanged(
        job_id=event.job_id,
        job_number=event.job_number,
        from_step=wire.JobStep(event.from_step.value),
        to_step=wire.JobStep(event.to_step.value),
        cause=event.cause,
        completed_at=event.completed_at,
        reason=event.reason,
        notes=event.notes,
    )


@to_wire.register
def _(event: events.Rescheduled) -> Payload:
    return wire.JobRescheduled(
        job_id=event.job_id,
        job_number=event.job_number,
        scheduled_start=event.scheduled_start,
        scheduled_end=event.scheduled_end,
        previous_start=event.previous_start,
        previous_end=event.previous_end,
    )


@to_wire.register
def _(event: events.DispatchAssigned) -> Payload:
    return wire.JobDispatchAssigned(
        job_id=event.job_id,
        job_number=event.job_number,
        dispatch_id=event.dispatch_id,
        technician_id=event.technician_id,
        arrival_window_start=event.window_start,
        arrival_window_end=event.window_end,
    )


@to_wire.register
def _(event: events.DispatchStatusChanged) -> Payload:
    return wire.JobDispatchStatusChanged(
        job_id=event.job_id,
        job_number=event.job_number,
        dispatch_id=event.dispatch_id,
        from_status=DispatchStatus(event.from_status.value),
        to_status=DispatchStatus(event.to_status.value),
    )


@to_wire.register
def _(event: events.PaymentRecorded) -> Payload:
    return wire.JobPaymentRecorded(
        job_id=event.job_id,
        job_number=event.job_number,
        payment_id=event.payment_id,
        amount=event.amount,
        amount_paid=event.amount_paid,
        balance_due=event.balance_due,
        currency=event.currency,
        method=event.method,
    )


@to_wire.register
def _(event: events.DocumentAdded) -> Payload:
    return wire.JobDocumentAdded(
        job_id=event.job_id,
        job_number=event.job_number,
        document_id=event.document_id,
        kind=DocumentKind(event.kind),
        filename=event.filename,
    )


@to_wire.register
def _(event: events.JobDeferred) -> Payload:
    return wire.JobDeferred(
        job_id=event.job_id,
        job_number=event.job_number,
        reason=event.reason,
        deferred_by=event.by,
    )


@to_wire.register
def _(event: events.JobUndeferred) -> Payload:
    return wire.JobUndeferred(
        job_id=event.job_id, job_number=event.job_number, undeferred_by=event.by
    )


@to_wire.register
def _(event: events.SubjobScheduled) -> Payload:
    return wire.JobSubjobScheduled(
        job_id=event.job_id,
        job_number=event.job_number,
        subjob_id=event.subjob_id,
        subjob_number=event.subjob_number,
        title=event.title,
        amount=event.amount,
        percent=event.percent,
        bill_on=event.bill_on,
        scheduled_total=event.scheduled_total,
        remaining=event.remaining,
    )


@to_wire.register
def _(event: events.RecallLinked) -> Payload:
    return wire.JobRecallLinked(
        job_id=event.job_id,
        job_number=event.job_number,
        original_job_id=event.original_job_id,
        reason=event.reason,
        chargeback_id=event.chargeback_id,
        chargeback_amount=event.chargeback_amount,
    )


@to_wire.register
def _(event: events.ChargebackRecorded) -> Payload:
    return wire.JobChargebackRecorded(
        job_id=event.job_id,
        job_number=event.job_number,
        chargeback_id=event.chargeback_id,
        recall_job_id=event.recall_job_id,
        technician_id=event.technician_id,
        fixing_technician_id=event.fixing_technician_id,
        normal_charge=event.normal_charge,
        policy_percent=event.policy_percent,
        earned_commission=event.earned_commission,
        amount=event.amount,
    )


@to_wire.register
def _(event: events.InvoiceSent) -> Payload:
    return wire.JobInvoiceSent(
        job_id=event.job_id,
        job_number=event.job_number,
        communication_id=event.communication_id,
        invoice_number=event.invoice_number,
        pdf_sha256=event.pdf_sha256,
        recipients=event.reachable,
        sent_by=event.requested_by,
    )


@to_wire.register
def _(event: events.CommunicationRequested) -> Payload:
    return wire.JobCommunicationRequested(
        job_id=event.job_id,
        job_number=event.job_number,
        communication_id=event.communication_id,
        channel="sms" if event.channel == "sms" else "email",
        recipients=event.reachable,
        opted_out=len(event.recipients) - event.reachable,
        attachments=event.attachments,
        send_at=event.send_at,
        requested_by=event.requested_by,
    )


@to_wire.register
def _(event: events.SubjobBecameBillable) -> Payload:
    return wire.SubjobBecameBillable(
        job_id=event.job_id,
        job_number=event.job_number,
        parent_job_id=event.parent_job_id,
        bill_on=event.bill_on,
        amount=event.amount,
        tax=event.tax,
        currency=event.currency,
    )


# issue 16: the books ------------------------------------------------------------------


@to_wire.register
def _(event: events.LinesChanged) -> Payload:
    return wire.JobLinesChanged(
        job_id=event.job_id,
        job_number=event.job_number,
        lines=event.lines,
        tax_rate=event.tax_rate,
        previous_total=event.previous_total,
        total=event.total,
        balance_due=event.balance_due,
        currency=event.currency,
    )


@to_wire.register
def _(event: events.PaymentRefunded) -> Payload:
    return wire.JobPaymentRefunded(
        job_id=event.job_id,
        job_number=event.job_number,
        payment_id=event.payment_id,
        refund_id=event.refund_id,
        amount=event.amount,
        amount_paid=event.amount_paid,
        balance_due=event.balance_due,
        currency=event.currency,
        reason=event.reason,
    )


@to_wire.register
def _(event: events.InvoiceIssued) -> Payload:
    return wire.JobInvoiceIssued(
        job_id=event.job_id,
        job_number=event.job_number,
        invoice_number=event.invoice_number,
        revision=1,
        issued_on=event.issued_on,
        due_on=event.due_on,
        currency=event.currency,
        total=event.total,
        balance_due=event.balance_due,
        snapshot_sha256=event.snapshot_sha256,
        issued_by=event.issued_by,
    )


@to_wire.register
def _(event: events.InvoiceRevised) -> Payload:
    return wire.JobInvoiceRevised(
        job_id=event.job_id,
        job_number=event.job_number,
        invoice_number=event.invoice_number,
        revision=event.revision,
        cause=event.cause,
        convention="credit_note" if event.convention == "credit_note" else "revised_invoice",
        previous_total=event.previous_total,
        total=event.total,
        balance_due=event.balance_due,
        snapshot_sha256=event.snapshot_sha256,
    )


@to_wire.register
def _(event: events.InvoiceVoided) -> Payload:
    return wire.JobInvoiceVoided(
        job_id=event.job_id,
        job_number=event.job_number,
        invoice_number=event.invoice_number,
        revision=event.revision,
        reason=event.reason,
    )


@to_wire.register
def _(event: events.InvoicePaid) -> Payload:
    return wire.JobInvoicePaid(
        job_id=event.job_id,
        job_number=event.job_number,
        invoice_number=event.invoice_number,
        revision=event.revision,
        total=event.total,
        amount_paid=event.amount_paid,
        currency=event.currency,
    )


@to_wire.register
def _(event: events.InvoiceCredited) -> Payload:
    return wire.JobInvoiceCredited(
        job_id=event.job_id,
        job_number=event.job_number,
        invoice_number=event.invoice_number,
        revision=event.revision,
        credit_note_number=event.credit_note_number,
        issued_on=event.issued_on,
        credited=event.amount,
        tax=event.tax,
        currency=event.currency,
        cause=event.cause,
        previous_billed=event.previous_billed,
        billed=event.billed,
        balance_due=event.balance_due,
    )


# Issue 16, commissions


@to_wire.register
def _(event: events.TechnicianReassigned) -> Payload:
    return wire.JobTechnicianReassigned(
        job_id=event.job_id,
        job_number=event.job_number,
        technician_id=event.technician_id,
        previous_technician_id=event.previous_technician_id,
        reason=event.reason,
    )


@to_wire.register
def _(event: events.RecallUnlinked) -> Payload:
    return wire.JobRecallUnlinked(
        job_id=event.job_id,
        job_number=event.job_number,
        original_job_id=event.original_job_id,
        reason=event.reason,
        unlinked_by=event.by,
    )


@to_wire.register
def _(event: commissions.CommissionEntryRecorded) -> Payload:
    entry = event.entry
    return wire.CommissionEntryRecorded(
        job_id=event.job_id,
        job_number=event.job_number,
        entry_id=entry.entry_id,
        technician_id=entry.technician_id,
        kind=entry.kind.value,
        amount=entry.amount,
        currency=event.currency,
        at=entry.at,
        cause=entry.cause,
        basis=entry.basis,
        rate=entry.rate,
        chargeback_id=entry.chargeback_id,
        recall_job_id=entry.recall_job_id,
        reason=entry.reason,
    )


# issue 19: communication outcomes (ids, channel and the provider's code; nothing more)

_OUTCOMES: dict[str, type[Payload]] = {
    "delivered": wire.CommunicationDelivered,
    "failed": wire.CommunicationFailed,
    "bounced": wire.CommunicationBounced,
}


@to_wire.register
def _(event: delivery_outcomes.CommunicationOutcome) -> Payload:
    fields: dict[str, object] = {
        "job_id": event.job_id,
        "job_number": event.job_number,
        "communication_id": event.communication_id,
        "delivery_id": event.delivery_id,
        "recipient_id": event.recipient_id,
        "channel": event.channel,
    }
    if event.outcome != "delivered":
        fields["error_code"] = event.error_code
    return _OUTCOMES[event.outcome].model_validate(fields)


@to_wire.register
def _(event: delivery_outcomes.RecipientOptedOut) -> Payload:
    return wire.RecipientOptedOut(
        job_id=event.job_id,
        job_number=event.job_number,
        communication_id=event.communication_id,
        delivery_id=event.delivery_id,
        recipient_id=event.recipient_id,
        customer_id=event.customer_id,
        keyword=event.keyword,
    )


# issue 20: replies. Ids only: the wording, the sender and the files stay in Jobline.
@to_wire.register
def _(event: ReplyReceived) -> Payload:
    return wire.CommunicationReplyReceived(
        reply_id=event.reply_id,
        job_id=None if event.in_inbox else event.job_id,
        job_number=None if event.in_inbox else event.job_number,
        channel="sms" if event.channel == "sms" else "email",
        in_reply_to=event.in_reply_to,
        document_ids=list(event.document_ids),
        received_at=event.received_at,
    )

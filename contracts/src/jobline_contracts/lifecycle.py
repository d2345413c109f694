"""Job lifecycle events the jobs service publishes on ``jobs.lifecycle.v1``.

Other teams build on these. They are published through the jobs outbox, keyed by job
id, in commit order per job. A consumer must deduplicate on ``message_id``: a relay
crash between send and bookkeeping can publish an event twice, never zero times.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from jobline_contracts.envelope import Payload
from jobline_contracts.facts import DispatchStatus, DocumentKind
from jobline_contracts.invoicing import Sha256
from jobline_contracts.types import (
    Cause,
    Code,
    CurrencyCode,
    InvoiceNo,
    JobNumber,
    Money,
    Name,
    Rate,
    ShortText,
    Text,
)

# Every text here is bounded (see ``jobline_contracts.types``), at least as generously as
# where Jobline takes it in: a fact's field, or the API's (reasons 500, titles 200), so an
# event made from what Jobline accepted always fits. Free text is the fact's bound, 2000.
Actor = Annotated[
    Name, Field(description="Who: upstream, or an operator (role:token id)", examples=["upstream"])
]
FileName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class JobStep(StrEnum):
    """The workflow step of a job."""

    OPEN_DISPATCH = "open_dispatch"
    IN_PROGRESS = "in_progress"
    AWAITING_QUALITY_CHECK = "awaiting_quality_check"
    AWAITING_BILLING = "awaiting_billing"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELED = "canceled"


class JobCreated(Payload):
    """A job entered Jobline."""

    message_type = "job.created"

    job_id: UUID
    job_number: JobNumber
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    step: JobStep
    scheduled_start: AwareDatetime
    scheduled_end: AwareDatetime
    currency: CurrencyCode
    total: Money


class JobStatusChanged(Payload):
    """The job moved to another workflow step."""

    message_type = "job.status_changed"

    job_id: UUID
    job_number: JobNumber
    from_step: JobStep
    to_step: JobStep
    cause: Cause = Field(description="The fact type that moved the job", examples=["job.started"])
    completed_at: AwareDatetime | None = None
    reason: Text | None = Field(default=None, description="Why, for a cancellation")
    notes: Text | None = Field(default=None, description="The quality check's notes")


class JobRescheduled(Payload):
    """The job's schedule moved."""

    message_type = "job.rescheduled"

    job_id: UUID
    job_number: JobNumber
    scheduled_start: AwareDatetime
    scheduled_end: AwareDatetime
    previous_start: AwareDatetime
    previous_end: AwareDatetime


class JobDispatchAssigned(Payload):
    """A visit was added to the job."""

    message_type = "job.dispatch_assigned"

    job_id: UUID
    job_number: JobNumber
    dispatch_id: UUID
    technician_id: UUID
    arrival_window_start: AwareDatetime
    arrival_window_end: AwareDatetime


class JobDispatchStatusChanged(Payload):
    """One of the job's visits moved on."""

    message_type = "job.dispatch_status_changed"

    job_id: UUID
    job_number: JobNumber
    dispatch_id: UUID
    from_status: DispatchStatus
    to_status: DispatchStatus


class JobPaymentRecorded(Payload):
    """A payment was applied to the job."""

    message_type = "job.payment_recorded"

    job_id: UUID
    job_number: JobNumber
    payment_id: UUID
    amount: Money
    amount_paid: Money
    balance_due: Money
    currency: CurrencyCode
    method: Code | None = Field(default=None, examples=["card"])


class JobDocumentAdded(Payload):
    """A photo or document was attached to the job."""

    message_type = "job.document_added"

    job_id: UUID
    job_number: JobNumber
    document_id: UUID
    kind: DocumentKind
    filename: FileName


class JobDeferred(Payload):
    """An operator deferred the job: its technician's commission is held back."""

    message_type = "job.deferred"

    job_id: UUID
    job_number: JobNumber
    reason: Text
    deferred_by: Actor


class JobUndeferred(Payload):
    """The deferral ended: the job is back in its step view, commission released."""

    message_type = "job.undeferred"

    job_id: UUID
    job_number: JobNumber
    undeferred_by: Actor


class JobSubjobScheduled(Payload):
    """On the parent: a share of it was scheduled as a subjob for staged billing."""

    message_type = "job.subjob_scheduled"

    job_id: UUID
    job_number: JobNumber
    subjob_id: UUID
    subjob_number: JobNumber
    title: Annotated[ShortText, StringConstraints(min_length=1)]
    amount: Money
    percent: Decimal | None = Field(default=None, description="The share as given, in %")
    bill_on: date
    scheduled_total: Money
    remaining: Money


class JobRecallLinked(Payload):
    """On the recall: it was tied to the original job whose work it fixes."""

    message_type = "job.recall_linked"

    job_id: UUID
    job_number: JobNumber
    original_job_id: UUID
    reason: Text
    chargeback_id: UUID | None = None
    chargeback_amount: Money


class JobChargebackRecorded(Payload):
    """On the original: its technician is charged back for a recall of it."""

    message_type = "job.chargeback_recorded"

    job_id: UUID
    job_number: JobNumber
    chargeback_id: UUID
    recall_job_id: UUID
    technician_id: UUID
    fixing_technician_id: UUID
    normal_charge: Money
    policy_percent: Decimal = Field(description="Share of the normal charge (1 = 100 %)")
    earned_commission: Money
    amount: Money


class JobCommunicationRequested(Payload):
    """An operator saved a text or an email to the job's customer: one delivery per
    recipient follows on ``comms.commands.v1``. No addresses or wording here — this topic is
    read widely; the jobs API has the details."""

    message_type = "job.communication_requested"

    job_id: UUID
    job_number: JobNumber
    communication_id: UUID
    channel: Literal["sms", "email"]
    recipients: int = Field(ge=0, description="Deliveries that will be attempted")
    opted_out: int = Field(ge=0, description="Recipients refused because they opted out")
    attachments: int = Field(ge=0)
    send_at: AwareDatetime = Field(description="Now, or when a scheduled send is due")
    requested_by: Actor


class JobInvoiceSent(Payload):
    """An operator (re)sent the job's invoice by email: which invoice version went out."""

    message_type = "job.invoice_sent"

    job_id: UUID
    job_number: JobNumber
    communication_id: UUID
    invoice_number: InvoiceNo
    pdf_sha256: Sha256 = Field(description="sha256 of the PDF that was attached")
    recipients: int = Field(ge=0)
    sent_by: Actor


class SubjobBecameBillable(Payload):
    """On a subjob (staged billing): its ``bill_on`` came in the tenant's time zone, or it
    was dated today or earlier when scheduled; it is now in Awaiting billing. Until then it
    was scheduled, not billable. Published once per subjob."""

    message_type = "subjob.became_billable"

    job_id: UUID = Field(description="The subjob")
    job_number: JobNumber
    parent_job_id: UUID
    bill_on: date = Field(description="The date it bills on, in the tenant's time zone")
    amount: Money = Field(description="Its share of the parent's tax-inclusive total")
    tax: Money = Field(description="The tax part of amount (the parent's tax, shared)")
    currency: CurrencyCode


class JobLinesChanged(Payload):
    """The job's billable lines (and tax rate) were replaced; its total recomputed."""

    message_type = "job.lines_changed"

    job_id: UUID
    job_number: JobNumber
    lines: int = Field(ge=0, description="How many lines the job has now")
    tax_rate: Decimal
    previous_total: Money
    total: Money
    balance_due: Money
    currency: CurrencyCode


class JobPaymentRefunded(Payload):
    """Some or all of a recorded payment was given back: the balance rose."""

    message_type = "job.payment_refunded"

    job_id: UUID
    job_number: JobNumber
    payment_id: UUID
    refund_id: UUID
    amount: Money
    amount_paid: Money
    balance_due: Money
    currency: CurrencyCode
    reason: Text | None = None


class JobInvoiceIssued(Payload):
    """The job's invoice was issued: numbered in issue order, its snapshot frozen."""

    message_type = "invoice.issued"

    job_id: UUID
    job_number: JobNumber
    invoice_number: InvoiceNo
    revision: int = Field(ge=1)
    issued_on: date
    due_on: date
    currency: CurrencyCode
    total: Money
    balance_due: Money
    snapshot_sha256: Sha256
    issued_by: Actor = Field(description="upstream, or the operator who issued it")


class JobInvoiceRevised(Payload):
    """A later change to the job (lines, a payment or refund) froze a new revision of the
    same invoice; earlier revisions stay as they were."""

    message_type = "invoice.revised"

    job_id: UUID
    job_number: JobNumber
    invoice_number: InvoiceNo
    revision: int = Field(ge=2)
    cause: Cause = Field(examples=["job.lines_changed"])
    convention: Literal["revised_invoice", "credit_note"] = "revised_invoice"
    previous_total: Money
    total: Money
    balance_due: Money
    snapshot_sha256: Sha256


class JobInvoiceVoided(Payload):
    """The job's invoice was voided. Final."""

    message_type = "invoice.voided"

    job_id: UUID
    job_number: JobNumber
    invoice_number: InvoiceNo
    revision: int = Field(ge=1)
    reason: Text


class JobInvoicePaid(Payload):
    """The balance of the job's issued invoice reached 0."""

    message_type = "invoice.paid"

    job_id: UUID
    job_number: JobNumber
    invoice_number: InvoiceNo
    revision: int = Field(ge=1)
    total: Money
    amount_paid: Money
    currency: CurrencyCode


class JobInvoiceCredited(Payload):
    """A change to the job lowered what its issued invoice bills, and the tenant's
    convention is credit notes: the invoice stays as issued (its revision and snapshot
    unchanged) and a credit note, numbered from the tenant's credit-note counter, credits
    the difference. A raise, a payment or a refund is an ``invoice.revised`` instead."""

    message_type = "invoice.credited"

    job_id: UUID
    job_number: JobNumber
    invoice_number: InvoiceNo = Field(description="The invoice the credit note refers to")
    revision: int = Field(ge=1, description="The invoice revision credited (unchanged)")
    credit_note_number: InvoiceNo = Field(examples=["CN-000001"])
    issued_on: date = Field(description="The day of the change, in the tenant's time zone")
    credited: Money = Field(description="The amount credited, tax included")
    tax: Money = Field(description="The tax part of credited")
    currency: CurrencyCode
    cause: Cause = Field(examples=["job.lines_changed"])
    previous_billed: Money = Field(description="What the invoice billed before this credit")
    billed: Money = Field(description="What it bills now: its total less every credit")
    balance_due: Money


class JobTechnicianReassigned(Payload):
    """The job's main technician changed (the upstream ``job.technician_reassigned``)."""

    message_type = "job.technician_reassigned"

    job_id: UUID
    job_number: JobNumber
    technician_id: UUID
    previous_technician_id: UUID
    reason: Text | None = None


class JobRecallUnlinked(Payload):
    """On the recall: an operator removed its link to the original job; the chargeback
    the link recorded is reversed in the commission ledger."""

    message_type = "job.recall_unlinked"

    job_id: UUID
    job_number: JobNumber
    original_job_id: UUID
    reason: Text
    unlinked_by: Actor


class CommissionEntryRecorded(Payload):
    """An entry was appended to a job's commission ledger; entries are never changed.

    A technician is owed the sum of their entries: ``earned`` at work completion (rate in
    force then), ``held`` (negative) and ``released`` by a deferral and its end,
    ``adjusted`` when the job's total changes after completion, ``charged_back``
    (negative) by a recall link and ``reversed`` when that link is removed."""

    message_type = "commission.entry_recorded"

    job_id: UUID
    job_number: JobNumber
    entry_id: UUID
    technician_id: UUID
    kind: Literal["earned", "held", "released", "adjusted", "charged_back", "reversed"]
    amount: Money = Field(description="Signed: what the entry adds to what the technician is owed")
    currency: CurrencyCode
    at: AwareDatetime = Field(description="When it counts, e.g. in which payroll period")
    cause: Cause = Field(examples=["job.work_completed", "job.undeferred", "recall.unlinked"])
    basis: Money | None = Field(
        default=None, description="The technician's share of the job total it is computed on"
    )
    rate: Rate | None = Field(default=None, description="The commission rate applied")
    chargeback_id: UUID | None = None
    recall_job_id: UUID | None = None
    reason: Text | None = None


# issue 19: communication outcomes. Ids, channel and status only: never an address, a
# phone number, the wording, or the provider's error text (it can quote the address).
class _CommunicationOutcome(Payload):
    """Fields every outcome of one delivery of a communication shares."""

    job_id: UUID
    job_number: JobNumber
    communication_id: UUID = Field(description="As in job.communication_requested")
    delivery_id: UUID = Field(description="The delivery to one recipient")
    recipient_id: UUID | None = Field(default=None, description="The contact it went to")
    channel: Literal["sms", "email"]


class CommunicationDelivered(_CommunicationOutcome):
    """One delivery of a communication reached its recipient (as the provider reports
    it). Published once per delivery, when it first gets there."""

    message_type = "communication.delivered"


class CommunicationFailed(_CommunicationOutcome):
    """One delivery of a communication could not be delivered (refused by the provider,
    or undeliverable). Final for the delivery; published once."""

    message_type = "communication.failed"

    error_code: Code | None = Field(
        default=None, description="The provider's code (or Jobline's)", examples=["30003"]
    )


class CommunicationBounced(_CommunicationOutcome):
    """One email delivery of a communication bounced. Final for the delivery; published
    once."""

    message_type = "communication.bounced"

    error_code: Code | None = Field(
        default=None, description="The provider's code (or Jobline's)", examples=["5.1.1"]
    )


class RecipientOptedOut(Payload):
    """A customer replied STOP to a text of the job: the tenant will send no more texts
    to that number (until a START). On the job of the latest text sent to the number;
    published when the number goes from reachable to opted out, not on a repeat."""

    message_type = "recipient.opted_out"

    job_id: UUID
    job_number: JobNumber
    communication_id: UUID = Field(description="The text the reply answered")
    delivery_id: UUID
    recipient_id: UUID | None = Field(default=None, description="The contact it went to")
    customer_id: UUID | None = Field(default=None, description="The job's customer")
    channel: Literal["sms"] = "sms"
    keyword: Annotated[Code, StringConstraints(min_length=1)] = Field(examples=["STOP"])


class CommunicationReplyReceived(Payload):
    """A customer replied (a text, or an email to the tenant's reply address). Ids only:
    the wording, the addresses and the files stay in Jobline (the job's conversation).
    Keyed by job id; a reply matched to no job is in the tenant's inbox, keyed by its id."""

    message_type = "communication.reply_received"

    reply_id: UUID
    job_id: UUID | None = Field(default=None, description="None: in the tenant's inbox")
    job_number: JobNumber | None = Field(default=None, description="None: in the inbox")
    channel: Literal["sms", "email"]
    in_reply_to: UUID | None = Field(
        default=None, description="The communication it answers (the latest to the sender)"
    )
    document_ids: list[UUID] = Field(
        default_factory=list, description="The files it carried, stored as the job's documents"
    )
    received_at: AwareDatetime


ALL_LIFECYCLE_EVENTS: tuple[type[Payload], ...] = (
    JobCreated,
    JobStatusChanged,
    JobRescheduled,
    JobDispatchAssigned,
    JobDispatchStatusChanged,
    JobPaymentRecorded,
    JobDocumentAdded,
    JobDeferred,
    JobUndeferred,
    JobSubjobScheduled,
    JobRecallLinked,
    JobChargebackRecorded,
    JobCommunicationRequested,
    JobInvoiceSent,
    # issue 16, staged billing
    SubjobBecameBillable,
    # issue 16: the books
    JobLinesChanged,
    JobPaymentRefunded,
    JobInvoiceIssued,
    JobInvoiceRevised,
    JobInvoiceVoided,
    JobInvoicePaid,
    # issue 16, commissions
    JobTechnicianReassigned,
    JobRecallUnlinked,
    CommissionEntryRecorded,
    # issue 16, credit notes
    JobInvoiceCredited,
    # issue 19, communication outcomes
    CommunicationDelivered,
    CommunicationFailed,
    CommunicationBounced,
    RecipientOptedOut,
    # issue 20: replies
    CommunicationReplyReceived,
)

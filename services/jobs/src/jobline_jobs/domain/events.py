"""What happened to a job: recorded by the aggregates, written by the unit of work to the
timeline and the outbox."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from jobline_jobs.domain.workflow import DispatchStatus, Step


@dataclass(frozen=True)
class Event:
    job_id: UUID
    job_number: str


@dataclass(frozen=True)
class JobCreated(Event):
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    step: Step
    scheduled_start: datetime
    scheduled_end: datetime
    currency: str
    total: Decimal


@dataclass(frozen=True)
class StepChanged(Event):
    from_step: Step
    to_step: Step
    cause: str
    completed_at: datetime | None
    reason: str | None = None  # why, for a cancellation
    notes: str | None = None  # the quality check's notes


@dataclass(frozen=True)
class Rescheduled(Event):
    scheduled_start: datetime
    scheduled_end: datetime
    previous_start: datetime
    previous_end: datetime


@dataclass(frozen=True)
class DispatchAssigned(Event):
    dispatch_id: UUID
    technician_id: UUID
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True)
class DispatchStatusChanged(Event):
    dispatch_id: UUID
    from_status: DispatchStatus
    to_status: DispatchStatus


@dataclass(frozen=True)
class PaymentRecorded(Event):
    payment_id: UUID
    method: str
    amount: Decimal
    amount_paid: Decimal
    balance_due: Decimal
    currency: str


@dataclass(frozen=True)
class DocumentAdded(Event):
    document_id: UUID
    kind: str
    filename: str


@dataclass(frozen=True)
class JobDeferred(Event):
    reason: str
    by: str


@dataclass(frozen=True)
class JobUndeferred(Event):
    by: str


@dataclass(frozen=True)
class SubjobScheduled(Event):
    """On the parent: a share of it was scheduled as a subjob."""

    subjob_id: UUID
    subjob_number: str
    title: str
    amount: Decimal
    percent: Decimal | None
    bill_on: date
    scheduled_total: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class RecallLinked(Event):
    """On the recall: it was tied to the original job whose work it fixes."""

    original_job_id: UUID
    reason: str
    chargeback_id: UUID | None
    chargeback_amount: Decimal


@dataclass(frozen=True)
class ChargebackRecorded(Event):
    """On the original: its technician is charged back for the recall."""

    chargeback_id: UUID
    recall_job_id: UUID
    technician_id: UUID
    fixing_technician_id: UUID
    normal_charge: Decimal
    policy_percent: Decimal
    earned_commission: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SentFile:
    """A file an email carries, as the comms service fetches it."""

    blob_key: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Business:
    """Who a customer email is from: the business's name, and its address for replies
    (tenant settings, as they are when the email leaves)."""

    name: str
    email: str | None


@dataclass(frozen=True)
class Addressee:
    """One delivery of a communication: to whom, at which address."""

    delivery_id: UUID
    recipient_id: UUID
    recipient_name: str
    address: str


@dataclass(frozen=True)
class CommunicationRequested(Event):
    """An operator asked to text or email the job's contacts (now or later)."""

    communication_id: UUID
    channel: str
    recipients: tuple[str, ...]  # names, every chosen one (opted out too)
    reachable: int
    attachments: int
    send_at: datetime
    requested_by: str


@dataclass(frozen=True)
class InvoiceSent(CommunicationRequested):
    """A communication carrying the job's current invoice PDF."""

    invoice_number: str
    pdf_sha256: str


@dataclass(frozen=True)
class DeliveriesReleased(Event):
    """A communication's deliveries were handed to the comms service, one each."""

    communication_id: UUID
    channel: str
    subject: str | None
    body: str
    files: tuple[SentFile, ...]
    deliveries: tuple[Addressee, ...]
    later: bool  # released by the scheduler, not by the request itself
    traceparent: str | None  # the trace of the request that scheduled it
    sender: Business | None = None  # emails: the business it is from


@dataclass(frozen=True)
class DeliveryStatusChanged(Event):
    """The comms service reported where one delivery stands."""

    delivery_id: UUID
    communication_id: UUID
    recipient: str
    channel: str
    status: str
    error_code: str | None
    error_message: str | None
    at: datetime


@dataclass(frozen=True)
class InvoiceRenderRequested(Event):
    """A PDF of this invoice snapshot was asked of the invoicing service."""

    snapshot_sha256: str
    snapshot: Mapping[str, Any]  # the snapshot as canonical JSON


# issue 16: the books ---------------------------------------------------------------


@dataclass(frozen=True)
class LinesChanged(Event):
    """The job's lines (and tax rate) were replaced: its total was recomputed."""

    previous_total: Decimal
    total: Decimal
    at: datetime
    lines: int  # how many lines the job has now
    tax_rate: Decimal
    balance_due: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentRefunded(Event):
    payment_id: UUID
    refund_id: UUID
    amount: Decimal
    amount_paid: Decimal
    balance_due: Decimal
    currency: str
    reason: str | None


@dataclass(frozen=True)
class InvoiceIssued(Event):
    """The job's invoice was issued: its number given, revision 1 frozen."""

    invoice_number: str
    issued_on: date
    due_on: date
    currency: str
    total: Decimal
    balance_due: Decimal
    snapshot_sha256: str
    snapshot: Mapping[str, Any]  # the frozen snapshot, as canonical JSON
    issued_by: str
    upstream_number: bool  # the number is upstream's own, not the tenant's counter's
    at: datetime


@dataclass(frozen=True)
class InvoiceRevised(Event):
    """A later change to the job froze a new revision of its invoice."""

    invoice_number: str
    revision: int
    cause: str
    convention: str
    previous_total: Decimal
    total: Decimal
    balance_due: Decimal
    snapshot_sha256: str
    snapshot: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True)
class InvoiceVoided(Event):
    invoice_number: str
    revision: int
    reason: str


@dataclass(frozen=True)
class InvoicePaid(Event):
    """The balance of the issued invoice reached 0."""

    invoice_number: str
    revision: int
    total: Decimal
    amount_paid: Decimal
    currency: str


@dataclass(frozen=True)
class InvoiceCredited(Event):
    """A change lowered what the invoice bills; under the tenant's credit-note convention
    the invoice stayed as issued and a credit note credited the difference."""

    invoice_number: str
    revision: int  # the revision credited
    credit_note_number: str
    issued_on: date
    amount: Decimal
    tax: Decimal
    currency: str
    cause: str
    previous_billed: Decimal
    billed: Decimal
    balance_due: Decimal
    at: datetime


@dataclass(frozen=True)
class SubjobBecameBillable(Event):
    """On a subjob: its bill_on came (in the tenant's zone), or it was billable at once;
    it is now in Awaiting billing."""

    parent_job_id: UUID
    bill_on: date
    amount: Decimal
    tax: Decimal
    currency: str


# Issue 16, commissions -------------------------------------------------------------


@dataclass(frozen=True)
class TechnicianReassigned(Event):
    """The job's main technician changed."""

    technician_id: UUID
    previous_technician_id: UUID
    reason: str | None


@dataclass(frozen=True)
class RecallUnlinked(Event):
    """On the recall: its link to the original job was removed."""

    original_job_id: UUID
    reason: str
    by: str


# issue 18: send later


@dataclass(frozen=True)
class CommunicationCanceled(Event):
    """A scheduled communication was called off before it left: none of it goes."""

    communication_id: UUID
    channel: str
    send_at: datetime
    canceled_by: str

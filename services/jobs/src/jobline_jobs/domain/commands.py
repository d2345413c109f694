"""What Jobline is asked to do. Entry points translate wire messages into these."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Command:
    tenant_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class ContactInfo:
    contact_id: UUID
    name: str
    phone: str | None
    email: str | None
    role: str | None


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str

    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class UpsertCustomer(Command):
    customer_id: UUID
    name: str
    contacts: tuple[ContactInfo, ...]
    billing_address: Address | None


@dataclass(frozen=True)
class UpsertProperty(Command):
    property_id: UUID
    customer_id: UUID
    address: Address
    contacts: tuple[ContactInfo, ...]


@dataclass(frozen=True)
class RateCardLine:
    code: str
    description: str
    unit_price: Decimal


@dataclass(frozen=True)
class UpsertTechnician(Command):
    technician_id: UUID
    name: str
    phone: str | None
    commission_rate: Decimal
    rate_card: tuple[RateCardLine, ...]
    currency: str


@dataclass(frozen=True)
class LineItem:
    line_id: UUID
    code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    taxable: bool


@dataclass(frozen=True)
class Visit:
    dispatch_id: UUID
    technician_id: UUID
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True)
class DispatchJob(Command):
    job_id: UUID
    job_number: str
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    summary: str
    scheduled_start: datetime
    scheduled_end: datetime
    currency: str
    tax_rate: Decimal | None  # None: upstream sent none, the tenant's default applies
    line_items: tuple[LineItem, ...]
    first_visit: Visit


@dataclass(frozen=True)
class JobCommand(Command):
    job_id: UUID


@dataclass(frozen=True)
class AssignDispatch(JobCommand):
    visit: Visit


@dataclass(frozen=True)
class ChangeDispatchStatus(JobCommand):
    dispatch_id: UUID
    status: str


@dataclass(frozen=True)
class RescheduleJob(JobCommand):
    scheduled_start: datetime
    scheduled_end: datetime


@dataclass(frozen=True)
class StartJob(JobCommand):
    pass


@dataclass(frozen=True)
class CompleteWork(JobCommand):
    completed_at: datetime


@dataclass(frozen=True)
class RecordQualityCheck(JobCommand):
    passed: bool
    notes: str | None = None


@dataclass(frozen=True)
class RecordPayment(JobCommand):
    payment_id: UUID
    amount: Decimal
    method: str


@dataclass(frozen=True)
class CancelJob(JobCommand):
    reason: str


@dataclass(frozen=True)
class AddDocument(Command):
    document_id: UUID
    job_id: UUID | None
    property_id: UUID | None
    kind: str
    blob_key: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None = None


@dataclass(frozen=True)
class DeferJob(JobCommand):
    reason: str
    by: str


@dataclass(frozen=True)
class UndeferJob(JobCommand):
    by: str


@dataclass(frozen=True)
class CreateSubjob(JobCommand):
    """Schedule a share of job ``job_id`` (the parent) as a new subjob."""

    subjob_id: UUID
    title: str
    percent: Decimal | None
    amount: Decimal | None
    bill_on: date | None  # None: billable at once (billed on the tenant's today)


@dataclass(frozen=True)
class LinkRecall(JobCommand):
    """Tie recall job ``job_id`` to the original job whose work it fixes."""

    original_job_id: UUID
    reason: str
    chargeback_id: UUID


@dataclass(frozen=True)
class RecordInvoiceRender(JobCommand):
    """The invoicing service rendered (or failed to render) one invoice snapshot."""

    snapshot_sha256: str
    rendered: bool
    blob_key: str | None = None
    pdf_sha256: str | None = None
    pages: int | None = None
    size_bytes: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecordDeliveryStatus(Command):
    """The comms service reports where one delivery stands."""

    delivery_id: UUID
    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RecordOptOut(Command):
    """A customer replied STOP (opted_out=True) or START to the tenant's number."""

    phone: str
    opted_out: bool
    keyword: str


@dataclass(frozen=True)
class InvoicePdf:
    """The job's current invoice PDF, as rendered for one snapshot."""

    number: str
    snapshot_sha256: str
    pdf_sha256: str
    blob_key: str
    size_bytes: int


@dataclass(frozen=True)
class SendCommunication(JobCommand):
    """Text or email the job's contacts, now or at ``send_at``."""

    communication_id: UUID
    channel: str
    recipient_ids: tuple[UUID, ...]
    body: str
    subject: str | None
    attachments: tuple[tuple[str, UUID], ...]  # (kind, id) of the job's files
    send_at: datetime
    invoice: InvoicePdf | None = None  # the invoice's PDF, when ("invoice", job_id) is attached


@dataclass(frozen=True)
class SendInvoice(JobCommand):
    """Email the job's current invoice PDF to chosen contacts."""

    communication_id: UUID
    recipient_ids: tuple[UUID, ...]
    message: str | None
    invoice: InvoicePdf


@dataclass(frozen=True)
class RequestInvoiceRender(JobCommand):
    """Ask the invoicing service for the PDF of this snapshot (once per snapshot)."""

    job_number: str
    snapshot_sha256: str
    snapshot: Mapping[str, Any]  # canonical JSON


@dataclass(frozen=True)
class ReleaseDueCommunications(Command):
    """Hand the scheduled communications whose time has come to the comms service.

    Of every tenant: ``tenant_id`` is ``EVERY_TENANT``."""

    limit: int = 100


EVERY_TENANT = "*"


# issue 16: the books ---------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseDueSubjobs(Command):
    """Make the scheduled subjobs whose bill_on has come (in their tenant's zone, at
    ``occurred_at``) billable. Of every tenant: ``tenant_id`` is ``EVERY_TENANT``."""

    limit: int = 100


@dataclass(frozen=True)
class IssueInvoice(JobCommand):
    """Issue the job's invoice (upstream's job.invoiced, or an operator's action): with
    these dates and upstream's number when given, else the tenant's day, terms and
    next number. Moves the job from awaiting billing to awaiting payment."""

    issued_on: date | None = None
    due_on: date | None = None
    number: str | None = None
    by: str = "upstream"


@dataclass(frozen=True)
class ChangeLines(JobCommand):
    """Replace the job's lines and tax rate (job.lines_changed)."""

    line_items: tuple[LineItem, ...]
    tax_rate: Decimal


@dataclass(frozen=True)
class RefundPayment(JobCommand):
    payment_id: UUID
    refund_id: UUID
    amount: Decimal
    reason: str | None = None


@dataclass(frozen=True)
class VoidInvoice(JobCommand):
    reason: str


# Issue 16, commissions -------------------------------------------------------------


@dataclass(frozen=True)
class ReassignTechnician(JobCommand):
    """Make ``technician_id`` the job's main technician."""

    technician_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class UnlinkRecall(JobCommand):
    """Remove recall job ``job_id``'s link to its original; its chargeback is reversed."""

    reason: str
    by: str


@dataclass(frozen=True)
class AdjustCommission(JobCommand):
    """The job's total changed from ``previous_total`` to ``total`` at ``at``: adjust the
    commission earned on it, if its work was completed (``cause`` names the fact)."""

    previous_total: Decimal
    total: Decimal
    at: datetime
    cause: str


# issue 18: send later -------------------------------------------------------------


@dataclass(frozen=True)
class CancelCommunication(JobCommand):
    """Call off a scheduled communication before it leaves."""

    communication_id: UUID
    by: str

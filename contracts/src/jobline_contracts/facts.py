"""Facts from upstream dispatch systems, published on ``dispatch.events.v1``.

Upstream systems own these facts; Jobline applies them to its job state. Entity
upserts are keyed by the entity id, job facts by the job id.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from jobline_contracts.envelope import Payload
from jobline_contracts.tenancy import OWN_BLOB_KEY
from jobline_contracts.types import (
    Address,
    ContractModel,
    CurrencyCode,
    Email,
    JobNumber,
    Money,
    Name,
    NonNegativeMoney,
    PhoneNumber,
    PositiveMoney,
    Quantity,
    Rate,
    Text,
)

InvoiceNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]*$")
]


class Contact(ContractModel):
    """A person to reach about a customer or a property."""

    contact_id: UUID
    name: Name
    phone: PhoneNumber | None = None
    email: Email | None = None
    role: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        default=None, examples=["owner", "tenant", "site manager"]
    )


class CustomerUpserted(Payload):
    """A customer was created or changed upstream (last write by occurred_at wins)."""

    message_type = "customer.upserted"

    customer_id: UUID
    name: Name
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    billing_address: Address | None = None


class PropertyUpserted(Payload):
    """A service location of a customer, with its on-site contacts."""

    message_type = "property.upserted"

    property_id: UUID
    customer_id: UUID
    address: Address
    contacts: list[Contact] = Field(default_factory=list, max_length=50)


class RateCardEntry(ContractModel):
    """What a technician normally charges for one kind of work."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    description: Name
    unit_price: NonNegativeMoney


class TechnicianUpserted(Payload):
    """A technician with the commission they earn and their rate card."""

    message_type = "technician.upserted"

    technician_id: UUID
    name: Name
    phone: PhoneNumber | None = None
    commission_rate: Rate = Field(description="Share of the job total paid as commission")
    rate_card: list[RateCardEntry] = Field(default_factory=list, max_length=500)
    currency: CurrencyCode = "USD"


class LineItem(ContractModel):
    """One billable line of a job."""

    line_id: UUID
    code: Annotated[str, StringConstraints(max_length=50)] | None = None
    description: Name
    quantity: Quantity
    unit_price: Money
    taxable: bool = True


class ArrivalWindow(ContractModel):
    """When a technician is expected on site."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> "ArrivalWindow":
        if self.end <= self.start:
            raise ValueError("the window must end after it starts")
        return self


class DispatchRecord(ContractModel):
    """One technician visit to do the job's work."""

    dispatch_id: UUID
    technician_id: UUID
    arrival_window: ArrivalWindow


class JobDispatched(Payload):
    """A new job was booked and its first visit dispatched."""

    message_type = "job.dispatched"

    job_id: UUID
    job_number: JobNumber
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    summary: Name
    schedule: ArrivalWindow = Field(description="When the work is scheduled")
    currency: CurrencyCode
    line_items: list[LineItem] = Field(default_factory=list, max_length=500)
    tax_rate: Rate = Field(
        default=Decimal(0),
        description="Tax on taxable lines; when left out, the tenant's default tax rate",
    )
    dispatch: DispatchRecord


class DispatchAssigned(Payload):
    """Another visit (a return trip) was added to a job."""

    message_type = "dispatch.assigned"

    job_id: UUID
    dispatch: DispatchRecord


class DispatchStatus(StrEnum):
    """Where one visit stands."""

    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELED = "canceled"


class DispatchStatusChanged(Payload):
    """A visit moved on (``scheduled`` is only ever the starting status)."""

    message_type = "dispatch.status_changed"

    job_id: UUID
    dispatch_id: UUID
    status: Literal["dispatched", "en_route", "on_site", "completed", "canceled"]


class JobRescheduled(Payload):
    """The job's scheduled window moved."""

    message_type = "job.rescheduled"

    job_id: UUID
    schedule: ArrivalWindow


class JobStarted(Payload):
    """Work on the job began."""

    message_type = "job.started"

    job_id: UUID


class JobWorkCompleted(Payload):
    """The technician finished the work."""

    message_type = "job.work_completed"

    job_id: UUID
    completed_at: AwareDatetime


class JobQualityChecked(Payload):
    """The finished work was checked; a failed check sends the job back to work."""

    message_type = "job.quality_checked"

    job_id: UUID
    outcome: Literal["passed", "failed"]
    notes: Text | None = None


class JobInvoiced(Payload):
    """Upstream billing issued the job's invoice; the job now awaits payment.

    The invoice carries exactly these dates and, when given, upstream's own number;
    without them it is dated the tenant's day of ``occurred_at``, due after the tenant's
    payment terms, and numbered from the tenant's counter."""

    message_type = "job.invoiced"

    job_id: UUID
    due_on: date | None = None
    issued_on: date | None = Field(default=None, description="The invoice's date")
    invoice_number: InvoiceNumber | None = Field(
        default=None, description="Upstream's own number for the invoice, if it has one"
    )


class PaymentRecorded(Payload):
    """A payment against the job; the job is paid once payments cover its total."""

    message_type = "payment.recorded"

    job_id: UUID
    payment_id: UUID
    amount: PositiveMoney
    method: Literal["card", "cash", "check", "bank_transfer", "other"] = "other"


class JobCanceled(Payload):
    """The job will not be done."""

    message_type = "job.canceled"

    job_id: UUID
    reason: Text


class DocumentKind(StrEnum):
    """What a stored file shows or is."""

    PROGRESS_PHOTO = "progress_photo"
    FINISHED_PHOTO = "finished_photo"
    DOCUMENT = "document"


class DocumentAdded(Payload):
    """A photo or document was stored for a job or a property."""

    message_type = "document.added"

    document_id: UUID
    job_id: UUID | None = None
    property_id: UUID | None = None
    kind: DocumentKind
    blob_key: Annotated[
        str,
        StringConstraints(min_length=1, max_length=500),
        Field(description=OWN_BLOB_KEY),
    ]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=255, pattern=r"^[\w.+-]+/[\w.+-]+$")]
    size_bytes: int = Field(ge=0)

    @model_validator(mode="after")
    def _exactly_one_owner(self) -> "DocumentAdded":
        if (self.job_id is None) == (self.property_id is None):
            raise ValueError("exactly one of job_id and property_id must be given")
        return self

    def blob_keys(self) -> tuple[str, ...]:
        return (self.blob_key,)


class JobLinesChanged(Payload):
    """The job's billable lines changed in the field (upsells, parts, a price or tax
    change): the full new list and tax rate, replacing the old ones."""

    message_type = "job.lines_changed"

    job_id: UUID
    line_items: list[LineItem] = Field(max_length=500)
    tax_rate: Rate = Field(description="Tax on taxable lines")


class PaymentRefunded(Payload):
    """Some or all of a recorded payment was given back: the balance rises by ``amount``."""

    message_type = "payment.refunded"

    job_id: UUID
    payment_id: UUID = Field(description="The recorded payment refunded")
    refund_id: UUID
    amount: PositiveMoney
    reason: Text | None = None


class InvoiceVoided(Payload):
    """Upstream voided the job's issued invoice. Final: a voided invoice stays voided."""

    message_type = "invoice.voided"

    job_id: UUID
    reason: Text


class TechnicianReassigned(Payload):
    """The job's main technician changed upstream (the visits keep their own technicians)."""

    message_type = "job.technician_reassigned"

    job_id: UUID
    technician_id: UUID = Field(description="The new main technician; must be known to Jobline")
    reason: Text | None = None


ALL_FACTS: tuple[type[Payload], ...] = (
    CustomerUpserted,
    PropertyUpserted,
    TechnicianUpserted,
    JobDispatched,
    DispatchAssigned,
    DispatchStatusChanged,
    JobRescheduled,
    JobStarted,
    JobWorkCompleted,
    JobQualityChecked,
    JobInvoiced,
    PaymentRecorded,
    JobCanceled,
    DocumentAdded,
    # issue 16: the books
    JobLinesChanged,
    PaymentRefunded,
    InvoiceVoided,
    # issue 16, commissions
    TechnicianReassigned,
)

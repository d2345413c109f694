"""Job lifecycle events the jobs service publishes on ``jobs.lifecycle.v1``.

Other teams build on these. They are published through the jobs outbox, keyed by job
id, in commit order per job. A consumer must deduplicate on ``message_id``: a relay
crash between send and bookkeeping can publish an event twice, never zero times.
"""

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from jobline_contracts.envelope import Payload
from jobline_contracts.facts import DispatchStatus, DocumentKind
from jobline_contracts.types import CurrencyCode, JobNumber, Money


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
    cause: str = Field(description="The fact type that moved the job", examples=["job.started"])
    completed_at: AwareDatetime | None = None


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


class JobDocumentAdded(Payload):
    """A photo or document was attached to the job."""

    message_type = "job.document_added"

    job_id: UUID
    job_number: JobNumber
    document_id: UUID
    kind: DocumentKind
    filename: str


ALL_LIFECYCLE_EVENTS: tuple[type[Payload], ...] = (
    JobCreated,
    JobStatusChanged,
    JobRescheduled,
    JobDispatchAssigned,
    JobDispatchStatusChanged,
    JobPaymentRecorded,
    JobDocumentAdded,
)

"""Job snapshots the jobs service publishes on the compacted ``jobs.state.v1``.

One message per job and change: the whole job as the API's detail (``GET /v1/jobs/{id}``)
shows it, less the console's ``available_actions``. Keyed by job id, the topic keeps each
job's newest snapshot (``cleanup.policy=compact``), so a new consumer rebuilds every job
by reading it from the beginning and keeping the last value per key. Written through the
jobs outbox in the transaction of the change, at most one per job and transaction.

Texts carry no bounds of their own: a snapshot repeats what Jobline already took in under
the facts' and the API's bounds, and a bound here could only refuse a change Jobline
made. (Narrowing later stays compatible for readers; widening would not.)
"""

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from jobline_contracts.envelope import Payload
from jobline_contracts.facts import DispatchStatus
from jobline_contracts.lifecycle import JobStep
from jobline_contracts.types import Address, ContractModel


class JobParty(ContractModel):
    """A customer, property or technician of the job, by id and name."""

    id: UUID
    name: str | None = Field(
        description="None until the upstream system sent its details; a property's name is"
        " its one-line address"
    )


class JobDeferral(ContractModel):
    """Commission held on the job, and why."""

    deferred_at: AwareDatetime
    reason: str | None


class JobMoney(ContractModel):
    """The job's money, in its currency."""

    currency: str = Field(description="ISO 4217", examples=["USD"])
    subtotal: Decimal | None = Field(description="The lines before tax")
    tax: Decimal | None
    total: Decimal
    amount_paid: Decimal
    balance_due: Decimal = Field(
        description="What the job itself has still to collect: a parent's scheduled shares"
        " are its subjobs' to bill; a canceled job owes nothing unless its invoice stands"
    )


class JobContact(ContractModel):
    """Someone to reach about the job, the customer's or the property's."""

    id: UUID
    belongs_to: Literal["customer", "property"]
    name: str
    phone: str | None
    email: str | None
    role: str | None


class JobLineItem(ContractModel):
    """One line of the job, in its order."""

    id: UUID
    code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal = Field(description="quantity x unit_price, in cents")
    taxable: bool


class VisitStatusChange(ContractModel):
    """A visit's status and when it took it."""

    status: DispatchStatus
    at: AwareDatetime


class JobVisit(ContractModel):
    """One dispatch of a technician to the job, with its status history."""

    id: UUID
    technician: JobParty
    arrival_window_start: AwareDatetime
    arrival_window_end: AwareDatetime
    status: DispatchStatus
    history: list[VisitStatusChange]


class JobStagedBilling(ContractModel):
    """A parent's money across its subjobs."""

    scheduled: Decimal
    unscheduled: Decimal
    paid_on_job: Decimal
    paid_on_subjobs: Decimal
    outstanding: Decimal = Field(description="total - every payment, parent's and subjobs'")
    statement: str = Field(description="The statement's path in the jobs API")


class JobState(Payload):
    """The whole job after a change (the newest per job id is the job now)."""

    message_type = "job.state"

    id: UUID = Field(description="The job id, also the message key")
    number: str
    summary: str
    step: JobStep
    scheduled_start: AwareDatetime
    scheduled_end: AwareDatetime
    completed_at: AwareDatetime | None
    deferral: JobDeferral | None
    customer: JobParty
    property: JobParty
    technician: JobParty
    money: JobMoney
    due_to_bill_on: date | None = Field(
        description="A subjob scheduled, not billable, until this date (tenant time zone)"
    )
    tax_rate: Decimal
    billing_address: Address | None = Field(description="The customer's")
    property_address: Address | None
    contacts: list[JobContact]
    line_items: list[JobLineItem]
    dispatches: list[JobVisit]
    parent_job_id: UUID | None = Field(description="Set on a subjob")
    subjob_ids: list[UUID]
    recall_of: UUID | None = Field(description="The original job of a recall")
    recalls: list[UUID] = Field(description="The recalls linked to this job")
    staged_billing: JobStagedBilling | None = Field(
        description="A parent's subjobs in sum; its statement has the detail"
    )


ALL_STATE_MESSAGES: tuple[type[Payload], ...] = (JobState,)

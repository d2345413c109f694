"""Response models of the jobs API (HTTP's own vocabulary, separate from wire contracts)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator

from jobline_jobs.domain.accounts import actor_name
from jobline_jobs.domain.actions import Action
from jobline_jobs.domain.views import View
from jobline_jobs.domain.workflow import DispatchStatus, Step

# PostgreSQL text cannot hold NUL; refuse it as invalid input instead of failing in the driver.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]


def _one_line(value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError(
            "must be one line: it becomes an email header, where a line break is refused"
        )
    return value


# Text that becomes an email header (a subject): a line break there would let the sender
# write headers of their own, so it is refused, not sent. The pattern is published for
# clients; the validator says why.
OneLine = Annotated[
    str,
    AfterValidator(_one_line),
    Field(json_schema_extra={"pattern": r"^[^\x00\r\n]*$"}),
]


class Party(BaseModel):
    id: UUID
    name: str | None = Field(description="None until the upstream system sent its details")


class Deferral(BaseModel):
    deferred_at: datetime
    reason: str | None


class Money(BaseModel):
    currency: str
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal
    amount_paid: Decimal
    balance_due: Decimal


class JobRow(BaseModel):
    id: UUID
    number: str
    summary: str
    step: Step
    scheduled_start: datetime
    scheduled_end: datetime
    completed_at: datetime | None
    deferral: Deferral | None
    customer: Party
    property: Party = Field(description="name is the property's one-line address")
    technician: Party
    money: Money
    due_to_bill_on: date | None = Field(
        default=None,
        description="A subjob scheduled, not billable, until this date (tenant time zone)",
    )


class JobPage(BaseModel):
    items: list[JobRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class ViewCount(BaseModel):
    view: View
    count: int


class ViewCounts(BaseModel):
    views: list[ViewCount]


class StatusChange(BaseModel):
    status: DispatchStatus
    at: datetime


class DispatchRecord(BaseModel):
    id: UUID
    technician: Party
    arrival_window_start: datetime
    arrival_window_end: datetime
    status: DispatchStatus
    history: list[StatusChange]


class DispatchList(BaseModel):
    items: list[DispatchRecord]


class Contact(BaseModel):
    id: UUID
    belongs_to: Literal["customer", "property"]
    name: str
    phone: str | None
    email: str | None
    role: str | None


class LineItem(BaseModel):
    id: UUID
    code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxable: bool


class ActionAvailability(BaseModel):
    action: Action
    allowed: bool
    reason: str | None = Field(description="Why not, when not allowed")


class JobDetail(JobRow):
    tax_rate: Decimal
    billing_address: dict[str, Any] | None
    property_address: dict[str, Any] | None
    contacts: list[Contact]
    line_items: list[LineItem]
    dispatches: list[DispatchRecord]
    parent_job_id: UUID | None = None
    subjob_ids: list[UUID] = Field(default_factory=list)
    recall_of: UUID | None = None
    recalls: list[UUID] = Field(default_factory=list)
    staged_billing: "StagedBilling | None" = Field(
        default=None, description="A parent's subjobs in sum; its statement has the detail"
    )
    available_actions: list[ActionAvailability]


class TimelineEntry(BaseModel):
    at: datetime
    kind: Literal["event", "rejected"]
    type: str = Field(description="Lifecycle event type, or the refusal's kind")
    cause: str = Field(description="The fact or action that caused it")
    actor: str
    details: dict[str, Any]
    message_id: UUID

    @computed_field(description="The name of the user who acted; null for a machine")  # type: ignore[prop-decorator]
    @property
    def actor_name(self) -> str | None:
        return actor_name(self.actor)


class Timeline(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None = Field(default=None, description="The next page, if any")


# Actions ---------------------------------------------------------------------------


class DeferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=500, description="Why commission is held")


class Share(BaseModel):
    """A share of the parent: exactly one of percent or amount."""

    model_config = ConfigDict(extra="forbid")

    percent: Decimal | None = Field(default=None, gt=0, le=100, max_digits=7, decimal_places=4)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Share":
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        return self


class SubjobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=200)
    share: Share
    bill_on: date | None = Field(
        default=None,
        description="When it becomes billable (tenant time zone); today or earlier, or none:"
        " at once. Not before the day the parent's work is scheduled to start",
    )


class Subjob(BaseModel):
    id: UUID
    number: str
    title: str
    percent: Decimal | None
    amount: Decimal
    bill_on: date
    step: Step
    billed: bool = Field(description="Its invoice went out (awaiting payment or paid)")
    tax: Decimal | None = Field(default=None, description="The tax part of amount")
    billable: bool = Field(default=True, description="False until its bill_on comes")


class BillingSchedule(BaseModel):
    parent_id: UUID
    parent_number: str
    currency: str
    total: Decimal
    scheduled: Decimal
    unscheduled: Decimal
    billed: Decimal
    unbilled: Decimal
    subjobs: list[Subjob]


class RecallPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    original_job_id: UUID


class RecallLinkRequest(RecallPreviewRequest):
    reason: Text = Field(min_length=1, max_length=500)


class ChargebackView(BaseModel):
    id: UUID
    technician_id: UUID
    amount: Decimal


class ChargebackPreview(BaseModel):
    technician_id: UUID = Field(description="The original job's technician, charged back")
    fixing_technician_id: UUID
    normal_charge: Decimal = Field(description="What the fixing technician's rate card charges")
    policy_percent: Decimal = Field(description="The tenant's share of it (1 = 100 %)")
    earned_commission: Decimal = Field(description="The cap: commission earned on the original")
    amount: Decimal


class RecallPreview(BaseModel):
    recall_job_id: UUID
    original_job_id: UUID
    chargeback: ChargebackPreview | None = Field(description="None when nothing was earned")


class RecallLink(BaseModel):
    recall_job_id: UUID
    original_job_id: UUID
    chargeback: ChargebackView | None = Field(description="None when nothing was earned")


class StagedBilling(BaseModel):
    """A parent's money across its subjobs."""

    scheduled: Decimal
    unscheduled: Decimal
    paid_on_job: Decimal
    paid_on_subjobs: Decimal
    outstanding: Decimal = Field(description="total - every payment, parent's and subjobs'")
    statement: str = Field(description="The statement's path")


JobDetail.model_rebuild()

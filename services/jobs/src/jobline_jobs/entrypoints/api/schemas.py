"""Response models of the jobs API (HTTP's own vocabulary, separate from wire contracts)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from jobline_jobs.domain.actions import Action
from jobline_jobs.domain.views import View
from jobline_jobs.domain.workflow import DispatchStatus, Step


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
    available_actions: list[ActionAvailability]


class TimelineEntry(BaseModel):
    at: datetime
    kind: Literal["event", "rejected"]
    type: str = Field(description="Lifecycle event type, or the refusal's kind")
    cause: str = Field(description="The fact or action that caused it")
    actor: str
    details: dict[str, Any]
    message_id: UUID


class Timeline(BaseModel):
    items: list[TimelineEntry]

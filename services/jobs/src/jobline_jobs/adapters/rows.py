"""Typed rows: one small immutable tuple per kind of row the write path writes, and each
kind's statement. ``STATEMENTS`` lists the kinds in foreign-key order (parties, jobs,
line items, job updates, visits, their history, payments, recall links, chargebacks,
the rows of commissions (``commission_rows``), then the rows of communications and
invoicing (``send_rows``), of the books (``book_rows``), timeline, outbox), the order
``row_writer.RowWriter`` sends them in.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar, cast
from uuid import UUID

from jobline_jobs.adapters import (
    book_rows,
    commission_rows,
    engagement_rows,
    reply_rows,
    send_rows,
)


class CustomerPlaceholder(NamedTuple):
    """A job's customer, known by id only until its upsert arrives."""

    tenant_id: str
    customer_id: UUID


class PropertyPlaceholder(NamedTuple):
    tenant_id: str
    property_id: UUID
    customer_id: UUID


class TechnicianPlaceholder(NamedTuple):
    tenant_id: str
    technician_id: UUID


class JobInsert(NamedTuple):
    tenant_id: str
    job_id: UUID
    job_number: str
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    summary: str
    step: str
    scheduled_start: datetime
    scheduled_end: datetime
    completed_at: datetime | None
    currency: str
    tax_rate: Decimal
    total: Decimal
    amount_paid: Decimal
    parent_job_id: UUID | None
    share_percent: Decimal | None
    share_amount: Decimal | None
    bill_on: date | None
    billable: bool
    share_tax: Decimal | None


class LineItemInsert(NamedTuple):
    tenant_id: str
    job_id: UUID
    line_id: UUID
    position: int
    code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    taxable: bool


class JobUpdate(NamedTuple):
    """A job's changeable state after one message (each one bumps the version)."""

    tenant_id: str
    job_id: UUID
    step: str
    scheduled_start: datetime
    scheduled_end: datetime
    completed_at: datetime | None
    amount_paid: Decimal
    deferred_at: datetime | None
    deferral_reason: str | None


class DispatchInsert(NamedTuple):
    tenant_id: str
    dispatch_id: UUID
    job_id: UUID
    technician_id: UUID
    window_start: datetime
    window_end: datetime
    status: str


class DispatchUpdate(NamedTuple):
    tenant_id: str
    dispatch_id: UUID
    status: str


class DispatchHistory(NamedTuple):
    tenant_id: str
    dispatch_id: UUID
    status: str
    at: datetime
    message_id: UUID


class PaymentInsert(NamedTuple):
    tenant_id: str
    payment_id: UUID
    job_id: UUID
    amount: Decimal
    method: str
    recorded_at: datetime


class RecallLinkInsert(NamedTuple):
    tenant_id: str
    recall_job_id: UUID
    original_job_id: UUID
    reason: str
    linked_at: datetime
    linked_by: str


class ChargebackInsert(NamedTuple):
    tenant_id: str
    chargeback_id: UUID
    recall_job_id: UUID
    original_job_id: UUID
    technician_id: UUID
    fixing_technician_id: UUID
    normal_charge: Decimal
    policy_percent: Decimal
    earned_commission: Decimal
    amount: Decimal
    recorded_at: datetime


class ScheduledAmountUpdate(NamedTuple):
    """A parent's scheduled total, after a share of it was scheduled as a subjob."""

    tenant_id: str
    job_id: UUID
    scheduled_amount: Decimal


class SubjobBillableUpdate(NamedTuple):
    """A scheduled subjob's date came: it is billable."""

    tenant_id: str
    job_id: UUID


class TimelineEntry(NamedTuple):
    tenant_id: str
    job_id: UUID
    at: datetime
    kind: str  # 'event' or 'rejected'
    type: str
    cause: str
    actor: str
    details: str  # JSON
    message_id: UUID


class OutboxRow(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes  # exactly the bytes the relay publishes
    headers: str  # JSON
    traceparent: str | None
    # The CloudEvents attributes of this message alone (jobline_infra.cloud_events): its
    # envelope's message_id and occurred_at, and the job it is about. None: none (a dead
    # letter), and the relay adds no ce_id, ce_time or ce_subject header.
    ce_id: str | None = None
    ce_time: str | None = None
    ce_subject: str | None = None


Row = (
    CustomerPlaceholder
    | PropertyPlaceholder
    | TechnicianPlaceholder
    | JobInsert
    | LineItemInsert
    | JobUpdate
    | DispatchInsert
    | DispatchUpdate
    | DispatchHistory
    | PaymentInsert
    | RecallLinkInsert
    | ChargebackInsert
    | ScheduledAmountUpdate
    | SubjobBillableUpdate
    | commission_rows.CommissionRow
    | send_rows.SendRow
    | book_rows.BookRow
    | reply_rows.ReplyRow  # issue 20: replies
    | engagement_rows.EngagementUpdate  # issue 20: opens and deferrals
    | TimelineEntry
    | OutboxRow
)
R = TypeVar("R", bound=Row)

# Every kind's statement, in the order they are sent (referenced rows first).
STATEMENTS: dict[type[Row], str] = {
    CustomerPlaceholder: "INSERT INTO jobs.customers (tenant_id, customer_id)"
    " VALUES ($1, $2) ON CONFLICT DO NOTHING",
    PropertyPlaceholder: "INSERT INTO jobs.properties (tenant_id, property_id, customer_id)"
    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    TechnicianPlaceholder: "INSERT INTO jobs.technicians (tenant_id, technician_id)"
    " VALUES ($1, $2) ON CONFLICT DO NOTHING",
    JobInsert: """INSERT INTO jobs.jobs (tenant_id, job_id, job_number, customer_id,
            property_id, technician_id, summary, step, scheduled_start, scheduled_end,
            completed_at, currency, tax_rate, total, amount_paid, search_text, parent_job_id,
            share_percent, share_amount, bill_on, billable, share_tax)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                jobs.search_text_of($1, $3, $4, $5), $16, $17, $18, $19, $20, $21)""",
    LineItemInsert: """INSERT INTO jobs.line_items (tenant_id, job_id, line_id, position,
            code, description, quantity, unit_price, taxable)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
    JobUpdate: """UPDATE jobs.jobs
           SET step = $3, scheduled_start = $4, scheduled_end = $5, completed_at = $6,
               amount_paid = $7, deferred_at = $8, deferral_reason = $9,
               updated_at = now(), version = version + 1
         WHERE tenant_id = $1 AND job_id = $2""",
    DispatchInsert: """INSERT INTO jobs.dispatches (tenant_id, dispatch_id, job_id,
            technician_id, window_start, window_end, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7)""",
    DispatchUpdate: "UPDATE jobs.dispatches SET status = $3"
    " WHERE tenant_id = $1 AND dispatch_id = $2",
    DispatchHistory: """INSERT INTO jobs.dispatch_status_history (tenant_id, dispatch_id,
            status, at, message_id) VALUES ($1, $2, $3, $4, $5)""",
    PaymentInsert: """INSERT INTO jobs.payments (tenant_id, payment_id, job_id, amount,
            method, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)""",
    RecallLinkInsert: """INSERT INTO jobs.recall_links (tenant_id, recall_job_id,
            original_job_id, reason, linked_at, linked_by) VALUES ($1, $2, $3, $4, $5, $6)""",
    ChargebackInsert: """INSERT INTO jobs.chargebacks (tenant_id, chargeback_id,
            recall_job_id, original_job_id, technician_id, fixing_technician_id,
            normal_charge, policy_percent, earned_commission, amount, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
    ScheduledAmountUpdate: "UPDATE jobs.jobs SET scheduled_amount = $3"
    " WHERE tenant_id = $1 AND job_id = $2",
    SubjobBillableUpdate: "UPDATE jobs.jobs SET billable = true"
    " WHERE tenant_id = $1 AND job_id = $2",
    **cast("dict[type[Row], str]", commission_rows.STATEMENTS),
    **cast("dict[type[Row], str]", send_rows.STATEMENTS),
    **cast("dict[type[Row], str]", book_rows.STATEMENTS),  # issue 16: the books
    **cast("dict[type[Row], str]", reply_rows.STATEMENTS),  # issue 20: replies
    **cast("dict[type[Row], str]", engagement_rows.STATEMENTS),  # issue 20: opens, deferrals
    TimelineEntry: """INSERT INTO jobs.timeline (tenant_id, job_id, at, kind, type, cause,
            actor, details, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
    OutboxRow: "INSERT INTO jobs.outbox (topic, key, value, headers, traceparent, ce_id,"
    " ce_time, ce_subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
}

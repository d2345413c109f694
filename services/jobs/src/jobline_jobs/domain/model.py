"""The Job aggregate: its workflow step, visits and money, and the events it records.

The aggregate checks every rule and records what happened in ``events``; it never
sends anything. The unit of work writes those events to the outbox in the same
transaction as the new state.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.billing import Share, scheduled_percent
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition
from jobline_jobs.domain.events import Event
from jobline_jobs.domain.money import Totals
from jobline_jobs.domain.workflow import (
    FINAL_STEPS,
    RESCHEDULABLE,
    STEP_MOVES,
    DispatchStatus,
    Step,
    dispatch_move_allowed,
)


@dataclass
class Dispatch:
    dispatch_id: UUID
    technician_id: UUID
    window_start: datetime
    window_end: datetime
    status: DispatchStatus = DispatchStatus.SCHEDULED
    changed: bool = False


@dataclass
class Job:
    tenant_id: str
    job_id: UUID
    job_number: str
    customer_id: UUID
    property_id: UUID
    technician_id: UUID
    summary: str
    step: Step
    scheduled_start: datetime
    scheduled_end: datetime
    currency: str
    tax_rate: Decimal
    line_items: tuple[commands.LineItem, ...]
    total: Decimal
    amount_paid: Decimal = Decimal("0.00")
    completed_at: datetime | None = None
    dispatches: dict[UUID, Dispatch] = field(default_factory=dict)
    deferred_at: datetime | None = None
    deferral_reason: str | None = None
    parent_job_id: UUID | None = None
    share: Share | None = None
    bill_on: date | None = None
    billable: bool = True  # a subjob is not until its bill_on (domain/staged_billing.py)
    subjob_shares: list[Share] = field(default_factory=list)
    recall_of: UUID | None = None
    events: list[Event] = field(default_factory=list)

    @classmethod
    def dispatch(cls, cmd: commands.DispatchJob, default_tax_rate: Decimal = Decimal(0)) -> "Job":
        """A new job, open for dispatch, with its first visit; taxed at the tenant's
        default rate when upstream named none."""
        tax_rate = default_tax_rate if cmd.tax_rate is None else cmd.tax_rate
        totals = Totals.of(cmd.line_items, tax_rate)
        job = cls(
            tenant_id=cmd.tenant_id,
            job_id=cmd.job_id,
            job_number=cmd.job_number,
            customer_id=cmd.customer_id,
            property_id=cmd.property_id,
            technician_id=cmd.technician_id,
            summary=cmd.summary,
            step=Step.OPEN_DISPATCH,
            scheduled_start=cmd.scheduled_start,
            scheduled_end=cmd.scheduled_end,
            currency=cmd.currency,
            tax_rate=tax_rate,
            line_items=cmd.line_items,
            total=totals.total,
        )
        job.events.append(
            events.JobCreated(
                job_id=job.job_id,
                job_number=job.job_number,
                customer_id=job.customer_id,
                property_id=job.property_id,
                technician_id=job.technician_id,
                step=job.step,
                scheduled_start=job.scheduled_start,
                scheduled_end=job.scheduled_end,
                currency=job.currency,
                total=job.total,
            )
        )
        job.assign_dispatch(cmd.first_visit)
        return job

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid

    def _move(
        self,
        fact: str,
        completed_at: datetime | None = None,
        *,
        reason: str | None = None,
        notes: str | None = None,
    ) -> None:
        allowed_from, to_step = STEP_MOVES[fact]
        cause = fact.removesuffix(".passed").removesuffix(".failed")
        if self.step not in allowed_from:
            raise ImpossibleTransition(
                f"{cause} cannot move job {self.job_number} from {self.step.value}"
                f" (allowed from: {', '.join(sorted(s.value for s in allowed_from))})"
            )
        self._set_step(to_step, cause, completed_at, reason=reason, notes=notes)

    def _set_step(
        self,
        to_step: Step,
        cause: str,
        completed_at: datetime | None,
        *,
        reason: str | None = None,
        notes: str | None = None,
    ) -> None:
        from_step, self.step, self.completed_at = self.step, to_step, completed_at
        self.events.append(
            events.StepChanged(
                job_id=self.job_id,
                job_number=self.job_number,
                from_step=from_step,
                to_step=to_step,
                cause=cause,
                completed_at=completed_at,
                reason=reason,
                notes=notes,
            )
        )

    def start(self) -> None:
        self._move("job.started")

    def complete_work(self, completed_at: datetime) -> None:
        self._move("job.work_completed", completed_at)

    def record_quality_check(self, *, passed: bool, notes: str | None = None) -> None:
        # A failed check sends the job back to work: it is no longer completed.
        if passed:
            self._move("job.quality_checked.passed", self.completed_at, notes=notes)
        else:
            self._move("job.quality_checked.failed", None, notes=notes)

    def invoice(self) -> None:
        if not self.billable:
            raise ImpossibleTransition(
                f"job.invoiced cannot move subjob {self.job_number}: it is scheduled to bill"
                f" on {self.bill_on}, not billable yet"
            )
        self._move("job.invoiced", self.completed_at)
        if self.balance_due <= 0:  # paid up front: nothing left to wait for
            self._set_step(Step.PAID, "job.invoiced", self.completed_at)

    def cancel(self, reason: str | None = None) -> None:
        self._move("job.canceled", self.completed_at, reason=reason)

    def record_payment(self, payment_id: UUID, amount: Decimal, method: str) -> None:
        """Apply a payment; deposits before invoicing count towards the balance."""
        if self.step in FINAL_STEPS:
            raise ImpossibleTransition(
                f"payment.recorded cannot apply to job {self.job_number}: it is {self.step.value}"
            )
        self.amount_paid += amount
        self.events.append(
            events.PaymentRecorded(
                job_id=self.job_id,
                job_number=self.job_number,
                payment_id=payment_id,
                method=method,
                amount=amount,
                amount_paid=self.amount_paid,
                balance_due=self.balance_due,
                currency=self.currency,
            )
        )
        if self.step is Step.AWAITING_PAYMENT and self.balance_due <= 0:
            self._set_step(Step.PAID, "payment.recorded", self.completed_at)

    def reschedule(self, start: datetime, end: datetime) -> None:
        if self.step not in RESCHEDULABLE:
            raise ImpossibleTransition(
                f"job.rescheduled cannot move job {self.job_number}: it is {self.step.value}"
            )
        previous = (self.scheduled_start, self.scheduled_end)
        self.scheduled_start, self.scheduled_end = start, end
        self.events.append(
            events.Rescheduled(
                job_id=self.job_id,
                job_number=self.job_number,
                scheduled_start=start,
                scheduled_end=end,
                previous_start=previous[0],
                previous_end=previous[1],
            )
        )

    def assign_dispatch(self, visit: commands.Visit) -> None:
        if self.step in FINAL_STEPS:
            raise ImpossibleTransition(
                f"dispatch.assigned cannot add a visit to job {self.job_number}:"
                f" it is {self.step.value}"
            )
        if visit.dispatch_id in self.dispatches:
            raise Conflict(f"visit {visit.dispatch_id} is already on job {self.job_number}")
        self.dispatches[visit.dispatch_id] = Dispatch(
            dispatch_id=visit.dispatch_id,
            technician_id=visit.technician_id,
            window_start=visit.window_start,
            window_end=visit.window_end,
            changed=True,
        )
        self.events.append(
            events.DispatchAssigned(
                job_id=self.job_id,
                job_number=self.job_number,
                dispatch_id=visit.dispatch_id,
                technician_id=visit.technician_id,
                window_start=visit.window_start,
                window_end=visit.window_end,
            )
        )

    def change_dispatch_status(self, dispatch_id: UUID, status: DispatchStatus) -> None:
        visit = self.dispatches.get(dispatch_id)
        if visit is None:
            raise ImpossibleTransition(f"job {self.job_number} has no visit {dispatch_id}")
        if not dispatch_move_allowed(visit.status, status):
            raise ImpossibleTransition(
                f"visit {dispatch_id} of job {self.job_number} cannot go from"
                f" {visit.status.value} to {status.value}"
            )
        from_status, visit.status, visit.changed = visit.status, status, True
        self.events.append(
            events.DispatchStatusChanged(
                job_id=self.job_id,
                job_number=self.job_number,
                dispatch_id=dispatch_id,
                from_status=from_status,
                to_status=status,
            )
        )

    def add_document(self, document_id: UUID, kind: str, filename: str) -> None:
        self.events.append(
            events.DocumentAdded(
                job_id=self.job_id,
                job_number=self.job_number,
                document_id=document_id,
                kind=kind,
                filename=filename,
            )
        )

    # Operator actions -----------------------------------------------------------------

    def defer(self, reason: str, by: str, at: datetime) -> None:
        """Hold the technician's commission back; the job keeps its real step."""
        if self.deferred_at is not None:
            raise Conflict(f"job {self.job_number} is deferred already")
        if self.step is Step.CANCELED:
            raise ImpossibleTransition(f"job {self.job_number} is canceled: nothing to defer")
        self.deferred_at, self.deferral_reason = at, reason
        self.events.append(events.JobDeferred(self.job_id, self.job_number, reason, by))

    def undefer(self, by: str) -> None:
        if self.deferred_at is None:
            raise Conflict(f"job {self.job_number} is not deferred")
        self.deferred_at = self.deferral_reason = None
        self.events.append(events.JobUndeferred(self.job_id, self.job_number, by))

    @property
    def scheduled_share_percent(self) -> Decimal:
        return scheduled_percent(self.total, self.subjob_shares)

"""The money of a job changing after it was booked: its lines replaced, a payment
refunded. Functions over the Job aggregate, kept apart from ``model`` (issue 16)."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.errors import ImpossibleTransition, InvalidRequest
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import Totals
from jobline_jobs.domain.workflow import FINAL_STEPS, Step


def change_lines(
    job: Job, lines: tuple[commands.LineItem, ...], tax_rate: Decimal, at: datetime
) -> None:
    """Replace the lines and tax rate (upsells, parts, a price or tax change)."""
    if job.step in FINAL_STEPS:
        raise ImpossibleTransition(
            f"job.lines_changed cannot change job {job.job_number}: it is {job.step.value}"
        )
    if job.parent_job_id is not None:
        raise InvalidRequest(
            f"job {job.job_number} is a subjob: its one line is its share of the parent"
        )
    total = Totals.of(lines, tax_rate).total
    scheduled = sum((s.amount for s in job.subjob_shares), Decimal("0.00"))
    if total < scheduled:
        raise InvalidRequest(
            f"the new total {total} of job {job.job_number} is below the {scheduled}"
            " scheduled into its subjobs"
        )
    previous, job.line_items, job.tax_rate, job.total = job.total, lines, tax_rate, total
    job.events.append(
        events.LinesChanged(
            job.job_id,
            job.job_number,
            previous,
            total,
            at,
            len(lines),
            tax_rate,
            job.balance_due,
            job.currency,
        )
    )
    if job.step is Step.AWAITING_PAYMENT and job.balance_due <= 0:
        job._set_step(Step.PAID, "job.lines_changed", job.completed_at)


def refund_payment(
    job: Job, payment_id: UUID, refund_id: UUID, amount: Decimal, reason: str | None
) -> None:
    """Give back (part of) a payment: the balance rises; a paid job owes again."""
    job.amount_paid -= amount
    job.events.append(
        events.PaymentRefunded(
            job.job_id,
            job.job_number,
            payment_id,
            refund_id,
            amount,
            job.amount_paid,
            job.balance_due,
            job.currency,
            reason,
        )
    )
    if job.step is Step.PAID and job.balance_due > 0:
        job._set_step(Step.AWAITING_PAYMENT, "payment.refunded", job.completed_at)

"""Staged billing on the job: a parent's share split off as a subjob, billable on its date.

A subjob is scheduled, not billable, until its ``bill_on`` comes in the tenant's time
zone (one without a date, or dated today or earlier, is billable at once). It keeps the
step it is created in (awaiting billing) and stays out of the Awaiting billing view until
then, as a deferred job stays out of its step's view: a flag on top of the step, not a
step of its own, so the published workflow steps stay as they are.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.billing import Share, next_share, tax_part
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition, InvalidRequest
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import Totals
from jobline_jobs.domain.workflow import FINAL_STEPS, Step

# A job number is at most 32 characters on the wire (``JobNumber`` in the contracts); a
# subjob's is its parent's and "-<n>", so a parent with a long number has no room for one.
JOB_NUMBER_MAX = 32


def tenant_day(at: datetime, time_zone: str) -> date:
    """The tenant's date at ``at``."""
    return at.astimezone(ZoneInfo(time_zone)).date()


def schedule_subjob(parent: Job, cmd: commands.CreateSubjob, number: str, time_zone: str) -> Job:
    """Split off a share of ``parent`` as a billing-only subjob, billable on its date."""
    if parent.parent_job_id is not None:
        raise InvalidRequest(f"job {parent.job_number} is a subjob; subjobs have no subjobs")
    if parent.step in FINAL_STEPS:
        raise ImpossibleTransition(f"job {parent.job_number} is {parent.step.words}")
    if len(number) > JOB_NUMBER_MAX:
        raise InvalidRequest(
            f"a subjob's number is its parent's and -<n>, at most {JOB_NUMBER_MAX} characters:"
            f" {number} is {len(number)}; job {parent.job_number} has no room for subjobs"
        )
    today = tenant_day(cmd.occurred_at, time_zone)
    bill_on = cmd.bill_on or today
    work_day = tenant_day(parent.scheduled_start, time_zone)
    if bill_on < work_day:
        raise InvalidRequest(
            f"a subjob cannot bill before its parent's work: bill_on {bill_on} is before"
            f" {work_day}, the day job {parent.job_number} is scheduled to start ({time_zone})"
        )
    shares = parent.subjob_shares
    amount = next_share(parent.total, shares, percent=cmd.percent, amount=cmd.amount)
    tax = tax_part(parent.total, Totals.of(parent.line_items, parent.tax_rate).tax, shares, amount)
    share = Share(cmd.subjob_id, amount, cmd.percent, tax)
    shares.append(share)
    scheduled = sum((s.amount for s in shares), Decimal("0.00"))
    parent.events.append(
        events.SubjobScheduled(
            parent.job_id,
            parent.job_number,
            cmd.subjob_id,
            number,
            cmd.title,
            amount,
            cmd.percent,
            bill_on,
            scheduled,
            parent.total - scheduled,
        )
    )
    subjob = _subjob(parent, cmd, number, share, bill_on)
    if bill_on <= today:
        become_billable(subjob)
    return subjob


def _subjob(parent: Job, cmd: commands.CreateSubjob, number: str, share: Share, on: date) -> Job:
    # One line: the share without its tax part; the tax part is the subjob's tax, so its
    # total is the share of the parent's tax-inclusive total (no tax on top).
    line = commands.LineItem(
        cmd.subjob_id, None, cmd.title, Decimal(1), share.amount - share.tax, taxable=False
    )
    subjob = Job(
        tenant_id=parent.tenant_id,
        job_id=cmd.subjob_id,
        job_number=number,
        customer_id=parent.customer_id,
        property_id=parent.property_id,
        technician_id=parent.technician_id,
        summary=cmd.title,
        step=Step.AWAITING_BILLING,
        scheduled_start=parent.scheduled_start,
        scheduled_end=parent.scheduled_end,
        currency=parent.currency,
        tax_rate=parent.tax_rate,
        line_items=(line,),
        total=share.amount,
        parent_job_id=parent.job_id,
        share=share,
        bill_on=on,
        billable=False,
    )
    subjob.events.append(
        events.JobCreated(
            subjob.job_id,
            number,
            parent.customer_id,
            parent.property_id,
            parent.technician_id,
            subjob.step,
            subjob.scheduled_start,
            subjob.scheduled_end,
            parent.currency,
            share.amount,
        )
    )
    return subjob


def become_billable(subjob: Job) -> None:
    """The subjob's date came: it moves to Awaiting billing."""
    if subjob.share is None or subjob.parent_job_id is None or subjob.bill_on is None:
        raise InvalidRequest(f"job {subjob.job_number} is not a subjob")
    if subjob.billable:
        raise Conflict(f"subjob {subjob.job_number} is billable already")
    subjob.billable = True
    subjob.events.append(
        events.SubjobBecameBillable(
            subjob.job_id,
            subjob.job_number,
            subjob.parent_job_id,
            subjob.bill_on,
            subjob.share.amount,
            subjob.share.tax,
            subjob.currency,
        )
    )

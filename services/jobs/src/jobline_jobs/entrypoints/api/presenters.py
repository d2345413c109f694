"""Read-model rows → response models."""

from decimal import Decimal
from typing import Any

from jobline_jobs.domain.actions import JobFacts, available_actions
from jobline_jobs.domain.workflow import Step
from jobline_jobs.entrypoints.api import schemas
from jobline_jobs.entrypoints.api.statements import BILLED
from jobline_jobs.service_layer.job_state import job_state


def dispatch(visit: dict[str, Any]) -> schemas.DispatchRecord:
    return schemas.DispatchRecord(
        id=visit["dispatch_id"],
        technician=schemas.Party(id=visit["technician_id"], name=visit["technician_name"]),
        arrival_window_start=visit["window_start"],
        arrival_window_end=visit["window_end"],
        status=visit["status"],
        history=[schemas.StatusChange(**h) for h in visit["history"]],
    )


def invoiceable(job: dict[str, Any]) -> bool:
    """Whether the job's invoice may be downloaded or attached now: once it is issued."""
    return bool(job.get("invoice_issued"))


def billed_by_subjobs(job: dict[str, Any]) -> bool:
    """A parent whose whole total is scheduled into subjobs: the subjobs bill it, so it
    has a statement rather than an invoice for its total."""
    return bool(job["subjobs"]) and job["scheduled_amount"] >= job["total"]


def job_detail(job: dict[str, Any]) -> schemas.JobDetail:
    """The job as ``jobs.state.v1`` carries it (``job_state``), with the actions allowed
    now."""
    state = job_state(job)
    contacts = job["contacts"]
    facts = JobFacts(
        step=Step(job["step"]),
        deferred=job["deferred_at"] is not None,
        is_subjob=job["parent_job_id"] is not None,
        is_recall=job["recall_of"] is not None,
        fully_scheduled=sum((s["share_amount"] for s in job["subjobs"]), Decimal(0))
        >= job["total"],
        has_line_items=bool(state.line_items),
        has_email_contact=any(c["email"] for c in contacts),
        has_reachable_contact=any(c["email"] or c["phone"] for c in contacts),
        billed_by_subjobs=billed_by_subjobs(job),
        due_to_bill_on=state.due_to_bill_on,
        invoice_issued=invoiceable(job),
    )
    return schemas.JobDetail.model_validate(
        {
            **state.model_dump(),
            "available_actions": [
                schemas.ActionAvailability(action=a.action, allowed=a.allowed, reason=a.reason)
                for a in available_actions(facts)
            ],
        }
    )


def billing_schedule(schedule: dict[str, Any]) -> schemas.BillingSchedule:
    subjobs = [
        schemas.Subjob(
            id=s["job_id"],
            number=s["job_number"],
            title=s["title"],
            percent=s["share_percent"],
            amount=s["share_amount"],
            bill_on=s["bill_on"],
            step=s["step"],
            billed=Step(s["step"]) in BILLED,
            tax=s["share_tax"],
            billable=s["billable"],
        )
        for s in schedule["subjobs"]
    ]
    scheduled = sum((s.amount for s in subjobs), Decimal("0.00"))
    billed = sum((s.amount for s in subjobs if s.billed), Decimal("0.00"))
    total = schedule["total"]
    return schemas.BillingSchedule(
        parent_id=schedule["job_id"],
        parent_number=schedule["job_number"],
        currency=schedule["currency"],
        total=total,
        scheduled=scheduled,
        unscheduled=total - scheduled,
        billed=billed,
        unbilled=total - billed,
        subjobs=subjobs,
    )

"""Which columns of the read model each lifecycle event sets.

The read model is one row per job: what a team typically needs without calling the jobs
API. Every event of a known type counts (``events``, ``last_event_type``); the types below
also change columns. Adding a column is adding it to ``schema.sql`` and here.
"""

from collections.abc import Callable
from typing import Any

from jobline_contracts import lifecycle as lc
from jobline_contracts.envelope import Payload

Changes = dict[str, Any]


def _created(e: lc.JobCreated) -> Changes:
    return {
        "customer_id": e.customer_id,
        "property_id": e.property_id,
        "technician_id": e.technician_id,
        "step": e.step.value,
        "scheduled_start": e.scheduled_start,
        "scheduled_end": e.scheduled_end,
        "currency": e.currency,
        "total": e.total,
    }


def _status_changed(e: lc.JobStatusChanged) -> Changes:
    return {"step": e.to_step.value}


def _rescheduled(e: lc.JobRescheduled) -> Changes:
    return {"scheduled_start": e.scheduled_start, "scheduled_end": e.scheduled_end}


def _technician_reassigned(e: lc.JobTechnicianReassigned) -> Changes:
    return {"technician_id": e.technician_id}


def _payment(e: lc.JobPaymentRecorded | lc.JobPaymentRefunded) -> Changes:
    return {"amount_paid": e.amount_paid, "balance_due": e.balance_due, "currency": e.currency}


def _lines_changed(e: lc.JobLinesChanged) -> Changes:
    return {"total": e.total, "balance_due": e.balance_due, "currency": e.currency}


def _deferred(_: lc.JobDeferred) -> Changes:
    return {"deferred": True}


def _undeferred(_: lc.JobUndeferred) -> Changes:
    return {"deferred": False}


def _subjob_billable(e: lc.SubjobBecameBillable) -> Changes:
    return {
        "parent_job_id": e.parent_job_id,
        "step": lc.JobStep.AWAITING_BILLING.value,
        "total": e.amount,
        "currency": e.currency,
    }


_PROJECTIONS: dict[type[Payload], Callable[[Any], Changes]] = {
    lc.JobCreated: _created,
    lc.JobStatusChanged: _status_changed,
    lc.JobRescheduled: _rescheduled,
    lc.JobTechnicianReassigned: _technician_reassigned,
    lc.JobPaymentRecorded: _payment,
    lc.JobPaymentRefunded: _payment,
    lc.JobLinesChanged: _lines_changed,
    lc.JobDeferred: _deferred,
    lc.JobUndeferred: _undeferred,
    lc.SubjobBecameBillable: _subjob_billable,
}

# Every column a projection may set: the store builds its SQL from these names only.
COLUMNS = (
    "customer_id",
    "property_id",
    "technician_id",
    "step",
    "scheduled_start",
    "scheduled_end",
    "currency",
    "total",
    "amount_paid",
    "balance_due",
    "deferred",
    "parent_job_id",
)


def changes(payload: Payload) -> Changes:
    """The columns ``payload`` sets; empty for a type that only counts as an event."""
    project = _PROJECTIONS.get(type(payload))
    return project(payload) if project is not None else {}

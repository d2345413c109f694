"""Who shares a job's commission, and how: the tenant's split rule.

The job's total is split among its crew to the cent (the shares add up to the total),
then each technician earns their share times their own commission rate.

- ``visits_completed`` (the default): in proportion to each technician's completed
  visits of the job;
- ``equal``: equally among the technicians with a completed visit;
- ``main_technician``: all to the job's main technician.

A job without a completed visit gives the whole total to its main technician, whatever
the rule.
"""

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from jobline_jobs.domain.model import Job
from jobline_jobs.domain.workflow import DispatchStatus


class SplitRule(StrEnum):
    VISITS_COMPLETED = "visits_completed"
    EQUAL = "equal"
    MAIN_TECHNICIAN = "main_technician"


def crew_weights(job: Job, rule: SplitRule) -> dict[UUID, int]:
    """Each technician's weight in the split of ``job``'s commission under ``rule``."""
    completed: dict[UUID, int] = {}
    for visit in job.dispatches.values():
        if visit.status is DispatchStatus.COMPLETED:
            completed[visit.technician_id] = completed.get(visit.technician_id, 0) + 1
    if rule is SplitRule.MAIN_TECHNICIAN or not completed:
        return {job.technician_id: 1}
    if rule is SplitRule.EQUAL:
        return dict.fromkeys(completed, 1)
    return completed


def allocate(total: Decimal, weights: dict[UUID, int]) -> dict[UUID, Decimal]:
    """``total`` split by ``weights`` to the cent, adding up to ``total`` exactly: each
    share rounded down, the cents left over to the largest remainders (ties in
    technician id order, so the split never depends on the order visits were read)."""
    if len(weights) == 1:  # the usual job: one technician takes it all
        return dict.fromkeys(weights, total)
    cents = int(total.scaleb(2).to_integral_value())
    whole = sum(weights.values())
    order = sorted(weights, key=str)
    floors = {t: cents * weights[t] // whole for t in order}
    left = cents - sum(floors.values())
    by_remainder = sorted(order, key=lambda t: -(cents * weights[t] % whole))
    for t in by_remainder[:left]:
        floors[t] += 1
    return {t: Decimal(floors[t]).scaleb(-2) for t in order}


def shares(job: Job, rule: SplitRule, total: Decimal | None = None) -> dict[UUID, Decimal]:
    """The job's total (or ``total``) split among its crew under ``rule``."""
    return allocate(job.total if total is None else total, crew_weights(job, rule))

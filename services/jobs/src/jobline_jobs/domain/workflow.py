"""The workflow of a job and of each of its visits, as data.

Keeping the allowed moves in tables (rather than scattered ifs) makes the rules easy
to read, test exhaustively and document.
"""

from enum import StrEnum


class Step(StrEnum):
    OPEN_DISPATCH = "open_dispatch"
    IN_PROGRESS = "in_progress"
    AWAITING_QUALITY_CHECK = "awaiting_quality_check"
    AWAITING_BILLING = "awaiting_billing"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELED = "canceled"

    @property
    def words(self) -> str:
        """The step as a sentence names it: ``in_progress`` → ``in progress``."""
        return self.value.replace("_", " ")


FINAL_STEPS = frozenset({Step.PAID, Step.CANCELED})

# What each upstream fact may move a job from, and to.
STEP_MOVES: dict[str, tuple[frozenset[Step], Step]] = {
    "job.started": (frozenset({Step.OPEN_DISPATCH}), Step.IN_PROGRESS),
    "job.work_completed": (frozenset({Step.IN_PROGRESS}), Step.AWAITING_QUALITY_CHECK),
    "job.quality_checked.passed": (frozenset({Step.AWAITING_QUALITY_CHECK}), Step.AWAITING_BILLING),
    "job.quality_checked.failed": (frozenset({Step.AWAITING_QUALITY_CHECK}), Step.IN_PROGRESS),
    "job.invoiced": (frozenset({Step.AWAITING_BILLING}), Step.AWAITING_PAYMENT),
    "job.canceled": (frozenset(Step) - FINAL_STEPS, Step.CANCELED),
}

# A schedule only moves while the work has not been done.
RESCHEDULABLE = frozenset({Step.OPEN_DISPATCH, Step.IN_PROGRESS})


class DispatchStatus(StrEnum):
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELED = "canceled"


# Visits only move forward along this order (skipping is fine: a technician may be
# marked on site without an en-route ping); completed and canceled are final.
DISPATCH_ORDER = (
    DispatchStatus.SCHEDULED,
    DispatchStatus.DISPATCHED,
    DispatchStatus.EN_ROUTE,
    DispatchStatus.ON_SITE,
    DispatchStatus.COMPLETED,
)
FINAL_DISPATCH_STATUSES = frozenset({DispatchStatus.COMPLETED, DispatchStatus.CANCELED})


def dispatch_move_allowed(current: DispatchStatus, new: DispatchStatus) -> bool:
    """Whether a visit may go from ``current`` to ``new``."""
    if current in FINAL_DISPATCH_STATUSES:
        return False
    if new is DispatchStatus.CANCELED:
        return True
    return DISPATCH_ORDER.index(new) > DISPATCH_ORDER.index(current)

"""The Jobs list's views (the drop-down), as the product defines them."""

from enum import StrEnum

from jobline_jobs.domain.workflow import Step


class View(StrEnum):
    ALL = "all"
    COMPLETED_SCHEDULED_TODAY = "completed_scheduled_today"
    OPEN_DISPATCH = "open_dispatch"
    IN_PROGRESS = "in_progress"
    AWAITING_QUALITY_CHECK = "awaiting_quality_check"
    AWAITING_BILLING = "awaiting_billing"
    AWAITING_PAYMENT = "awaiting_payment"
    DEFERRED = "deferred"
    PAID = "paid"
    CANCELED = "canceled"


# Step views list the jobs at that step that are not deferred: a deferred job keeps its
# step (facts still move it) but leaves its step view until it is un-deferred.
STEP_VIEWS: dict[View, Step] = {
    View.OPEN_DISPATCH: Step.OPEN_DISPATCH,
    View.IN_PROGRESS: Step.IN_PROGRESS,
    View.AWAITING_QUALITY_CHECK: Step.AWAITING_QUALITY_CHECK,
    View.AWAITING_BILLING: Step.AWAITING_BILLING,
    View.AWAITING_PAYMENT: Step.AWAITING_PAYMENT,
    View.PAID: Step.PAID,
    View.CANCELED: Step.CANCELED,
}

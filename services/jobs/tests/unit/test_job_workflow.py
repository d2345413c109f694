"""The Job aggregate's rules, without I/O."""

from decimal import Decimal
from uuid import uuid4

import pytest

from jobline_jobs.domain import events
from jobline_jobs.domain.commands import Visit
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import Totals
from jobline_jobs.domain.workflow import DispatchStatus, Step
from jobs_testing.builders import T0, dispatch_job, line

pytestmark = pytest.mark.unit


def new_job(**kwargs: object) -> Job:
    job = Job.dispatch(dispatch_job(**kwargs))  # type: ignore[arg-type]
    job.events.clear()
    return job


def test_a_dispatched_job_is_open_with_its_first_visit_scheduled():
    job = Job.dispatch(dispatch_job())
    assert job.step is Step.OPEN_DISPATCH
    assert [type(e) for e in job.events] == [events.JobCreated, events.DispatchAssigned]
    assert [d.status for d in job.dispatches.values()] == [DispatchStatus.SCHEDULED]


def test_the_happy_path_walks_every_step_to_paid():
    job = new_job(lines=(line("2", "50.00"),), tax_rate="0.10")
    job.start()
    job.complete_work(T0)
    job.record_quality_check(passed=True)
    job.invoice()
    assert job.step is Step.AWAITING_PAYMENT
    job.record_payment(uuid4(), Decimal("110.00"), "card")
    assert job.step is Step.PAID
    assert [e.to_step for e in job.events if isinstance(e, events.StepChanged)] == [
        Step.IN_PROGRESS,
        Step.AWAITING_QUALITY_CHECK,
        Step.AWAITING_BILLING,
        Step.AWAITING_PAYMENT,
        Step.PAID,
    ]


def test_work_completion_sets_completed_at_and_a_failed_check_clears_it():
    job = new_job()
    job.start()
    job.complete_work(T0)
    assert job.completed_at == T0
    job.record_quality_check(passed=False)
    assert job.step is Step.IN_PROGRESS
    assert job.completed_at is None


@pytest.mark.parametrize(
    "act",
    [
        lambda j: j.complete_work(T0),
        lambda j: j.record_quality_check(passed=True),
        lambda j: j.invoice(),
    ],
    ids=["complete-before-start", "check-before-completion", "invoice-before-check"],
)
def test_facts_out_of_order_are_impossible_transitions(act):
    job = new_job()
    with pytest.raises(ImpossibleTransition, match="open_dispatch"):
        act(job)
    assert job.step is Step.OPEN_DISPATCH
    assert job.events == []


def test_a_partial_payment_keeps_the_job_awaiting_payment():
    job = new_job(lines=(line("1", "100.00"),))
    for act in (
        job.start,
        lambda: job.complete_work(T0),
        lambda: job.record_quality_check(passed=True),
        job.invoice,
    ):
        act()
    job.record_payment(uuid4(), Decimal("40.00"), "cash")
    assert job.step is Step.AWAITING_PAYMENT
    assert job.balance_due == Decimal("60.00")


def test_a_job_paid_in_advance_is_paid_when_invoiced():
    job = new_job(lines=(line("1", "100.00"),))
    job.record_payment(uuid4(), Decimal("100.00"), "card")
    for act in (
        job.start,
        lambda: job.complete_work(T0),
        lambda: job.record_quality_check(passed=True),
        job.invoice,
    ):
        act()
    assert job.step is Step.PAID


def test_canceled_and_paid_jobs_refuse_further_moves():
    job = new_job()
    job.cancel()
    with pytest.raises(ImpossibleTransition):
        job.cancel()
    with pytest.raises(ImpossibleTransition):
        job.record_payment(uuid4(), Decimal("1.00"), "cash")
    with pytest.raises(ImpossibleTransition):
        job.reschedule(T0, T0)


def test_visits_only_move_forward_and_stop_when_final():
    job = new_job()
    (visit,) = job.dispatches
    job.change_dispatch_status(visit, DispatchStatus.ON_SITE)  # skipping en route is fine
    with pytest.raises(ImpossibleTransition, match="on_site to en_route"):
        job.change_dispatch_status(visit, DispatchStatus.EN_ROUTE)
    job.change_dispatch_status(visit, DispatchStatus.COMPLETED)
    with pytest.raises(ImpossibleTransition):
        job.change_dispatch_status(visit, DispatchStatus.CANCELED)
    with pytest.raises(ImpossibleTransition, match="has no visit"):
        job.change_dispatch_status(uuid4(), DispatchStatus.EN_ROUTE)


def test_the_same_visit_cannot_be_assigned_twice():
    job = new_job()
    (visit_id,) = job.dispatches
    visit = job.dispatches[visit_id]
    with pytest.raises(Conflict):
        job.assign_dispatch(Visit(visit_id, visit.technician_id, T0, T0))


def test_totals_round_each_line_to_cents_and_tax_only_taxable_lines():
    totals = Totals.of((line("3", "33.333"), line("1", "10.00", taxable=False)), Decimal("0.0825"))
    assert totals.subtotal == Decimal("110.00")  # 99.999 → 100.00, plus 10.00
    assert totals.tax == Decimal("8.25")
    assert totals.total == Decimal("118.25")

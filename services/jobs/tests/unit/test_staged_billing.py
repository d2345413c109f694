"""Staged billing on its dates: tax parts to the cent, subjobs scheduled until their
bill_on in the tenant's zone, the scheduler's command, and what it publishes."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from jobline_contracts.types import JobNumber
from jobline_jobs.adapters.lifecycle import to_wire
from jobline_jobs.domain import commands, events
from jobline_jobs.domain.errors import ImpossibleTransition, InvalidRequest
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import Totals
from jobline_jobs.domain.staged_billing import JOB_NUMBER_MAX, schedule_subjob
from jobline_jobs.domain.workflow import Step
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import dispatch_job, line
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
D = Decimal
# 23:30 on 1 March in Sydney is still 1 March there, but 12:30 UTC the same day.
SYDNEY = "Australia/Sydney"
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def parent(tax_rate: str = "0.1", start: datetime = NOW) -> Job:
    # 333.33 + 10 % tax = 366.66 (subtotal 333.33, tax 33.33)
    cmd = dispatch_job(lines=(line("1", "333.33"),), tax_rate=tax_rate)
    job = Job.dispatch(commands.DispatchJob(**{**cmd.__dict__, "scheduled_start": start}))
    job.step = Step.AWAITING_BILLING
    return job


def subjob(job: Job, percent: str, bill_on: date | None, zone: str = SYDNEY) -> Job:
    cmd = commands.CreateSubjob(
        "acme", NOW, job.job_id, uuid4(), f"{percent} %", D(percent), None, bill_on
    )
    return schedule_subjob(job, cmd, f"J-1-{len(job.subjob_shares) + 1}", zone)


def test_tax_parts_of_twenty_twenty_sixty_add_up_to_the_parents_tax_to_the_cent():
    job = parent()
    tax = Totals.of(job.line_items, job.tax_rate).tax
    subs = [subjob(job, p, None) for p in ("20", "20", "60")]
    assert [s.total for s in subs] == [D("73.33"), D("73.33"), D("220.00")]
    assert [s.share.tax for s in subs if s.share] == [D("6.66"), D("6.66"), D("20.01")]
    assert sum(s.share.tax for s in subs if s.share) == tax == D("33.33")
    assert sum(s.total for s in subs) == job.total == D("366.66")
    # Each subjob's one line is its share without the tax part: subtotal + tax = total.
    assert [s.line_items[0].unit_price + s.share.tax for s in subs if s.share] == [
        s.total for s in subs
    ]


def test_a_subjob_dated_later_in_the_tenants_zone_is_scheduled_not_billable():
    job = parent()
    today_in_sydney = date(2026, 3, 1)  # NOW is 23:30 there
    at_once, later = subjob(job, "20", today_in_sydney), subjob(job, "20", date(2026, 3, 2))
    undated = subjob(job, "10", None)
    assert (at_once.billable, later.billable, undated.billable) == (True, False, True)
    assert undated.bill_on == today_in_sydney
    assert [type(e) for e in later.events] == [events.JobCreated]
    assert isinstance(at_once.events[-1], events.SubjobBecameBillable)
    with pytest.raises(ImpossibleTransition, match="scheduled to bill on 2026-03-02"):
        later.invoice()


def test_a_subjob_dated_before_its_parents_work_is_refused_naming_the_rule():
    job = parent(start=datetime(2026, 3, 5, 14, 0, tzinfo=UTC))  # 6 March, 01:00 in Sydney
    with pytest.raises(InvalidRequest, match="cannot bill before its parent's work") as refused:
        subjob(job, "20", date(2026, 3, 5))
    assert "2026-03-06" in refused.value.reason
    assert job.subjob_shares == []
    assert not any(isinstance(e, events.SubjobScheduled) for e in job.events)


def causation(at: datetime) -> Causation:
    message = uuid4()
    return Causation("scheduler", message, "scheduler.ReleaseDueSubjobs", message, at, "test")


async def test_the_scheduler_makes_subjobs_billable_on_their_date_in_the_tenants_zone():
    world = World({"acme"})
    world.directory.zones["acme"] = SYDNEY
    job = parent()
    later = subjob(job, "20", date(2026, 3, 3))
    world.jobs[("acme", later.job_id)] = later
    later.events.clear()
    bus = MessageBus(world.uow)
    # 2 March 23:59 in Sydney: not yet.
    on_the_eve = datetime(2026, 3, 2, 12, 59, tzinfo=UTC)
    await bus.execute(commands.ReleaseDueSubjobs("*", on_the_eve), causation(on_the_eve))
    assert not world.jobs[("acme", later.job_id)].billable
    at_midnight = on_the_eve + timedelta(minutes=1)  # 3 March 00:00 in Sydney
    await bus.execute(commands.ReleaseDueSubjobs("*", at_midnight), causation(at_midnight))
    assert world.jobs[("acme", later.job_id)].billable
    became = [e for e in world.published if isinstance(e, events.SubjobBecameBillable)]
    assert [(e.job_id, e.bill_on, e.amount) for e in became] == [
        (later.job_id, date(2026, 3, 3), D("73.33"))
    ]
    wire = to_wire(became[0])
    assert wire.message_type == "subjob.became_billable"
    # Once: the next tick finds nothing due.
    await bus.execute(commands.ReleaseDueSubjobs("*", at_midnight), causation(at_midnight))
    assert len([e for e in world.published if isinstance(e, events.SubjobBecameBillable)]) == 1


def test_a_parent_whose_number_leaves_no_room_for_a_subjob_is_refused_unchanged():
    job = parent()
    job.job_number = "J-" + "9" * 29  # 31 characters: "-1" makes 33
    recorded = list(job.events)
    cmd = commands.CreateSubjob("acme", NOW, job.job_id, uuid4(), "Rough-in", D("20"), None, None)

    with pytest.raises(InvalidRequest, match="at most 32 characters"):
        schedule_subjob(job, cmd, f"{job.job_number}-1", SYDNEY)

    assert (job.subjob_shares, job.events) == ([], recorded)


def test_the_subjob_number_bound_is_the_contracts():
    adapter = TypeAdapter(JobNumber)
    adapter.validate_python("J" * JOB_NUMBER_MAX)
    with pytest.raises(ValidationError):
        adapter.validate_python("J" * (JOB_NUMBER_MAX + 1))

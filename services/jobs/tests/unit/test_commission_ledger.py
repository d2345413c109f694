"""The commission ledger's rules, pure: splits to the cent, earning at the rate in
force, holds and releases, adjustments, chargebacks and their reversal; and through the
message bus on fakes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.commission_split import SplitRule, allocate
from jobline_jobs.domain.commissions import (
    Cause,
    CommissionAccount,
    CommissionEntryRecorded,
    CommissionTerms,
    EntryKind,
    adjust,
    charge_back,
    earn,
    hold,
    release,
    reverse_chargebacks,
)
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.workflow import DispatchStatus
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job, line
from jobs_testing.fakes import World

D = Decimal
MARCH, MAY = datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 5, 5, tzinfo=UTC)


def why(name: str = "job.work_completed", at: datetime = MARCH) -> Cause:
    return Cause(name, at, uuid4())


def completed(total: str = "100.00", crew: tuple[UUID, ...] = ()) -> Job:
    job = Job.dispatch(dispatch_job(lines=(line("1", total),)))
    for tech in crew:
        visit = commands.Visit(uuid4(), tech, T0, T0)
        job.assign_dispatch(visit)
    for visit in job.dispatches.values():
        visit.status = DispatchStatus.COMPLETED
    job.completed_at = MARCH
    return job


def account_of(job: Job) -> CommissionAccount:
    return CommissionAccount(job.tenant_id, job.job_id, job.job_number, job.currency)


def kinds(account: CommissionAccount) -> list[tuple[str, D]]:
    return [(e.kind.value, e.amount) for e in account.entries]


def test_a_split_adds_up_to_the_total_to_the_cent():
    a, b, c = uuid4(), uuid4(), uuid4()
    shares = allocate(D("100.00"), {a: 1, b: 1, c: 1})
    assert sum(shares.values()) == D("100.00")
    assert sorted(shares.values()) == [D("33.33"), D("33.33"), D("33.34")]
    assert allocate(D("1209.49"), {a: 2, b: 1}) == {a: D("806.33"), b: D("403.16")}


@pytest.mark.parametrize(
    ("rule", "main_earns", "helper_earns"),
    [
        (SplitRule.VISITS_COMPLETED, D("20.00"), D("20.00")),
        (SplitRule.EQUAL, D("15.00"), D("30.00")),
        (SplitRule.MAIN_TECHNICIAN, D("30.00"), None),
    ],
)
def test_two_technicians_split_by_the_rule(rule, main_earns, helper_earns):
    helper = uuid4()
    job = completed("300.00")
    main = job.technician_id
    job.assign_dispatch(commands.Visit(uuid4(), main, T0, T0))
    job.assign_dispatch(commands.Visit(uuid4(), helper, T0, T0))
    for visit in job.dispatches.values():
        visit.status = DispatchStatus.COMPLETED
    account = account_of(job)
    earn(account, job, CommissionTerms(rule, {main: D("0.1"), helper: D("0.2")}), why())
    earned = {e.technician_id: e.amount for e in account.entries}
    assert earned.get(main) == main_earns
    assert earned.get(helper) == helper_earns


def test_no_completed_visit_gives_all_to_the_main_technician():
    job = Job.dispatch(dispatch_job(lines=(line("1", "100.00"),)))
    account = account_of(job)
    earn(account, job, CommissionTerms(SplitRule.EQUAL, {job.technician_id: D("0.1")}), why())
    assert [(e.technician_id, e.amount) for e in account.entries] == [
        (job.technician_id, D("10.00"))
    ]


def test_earning_records_the_rate_and_completing_again_earns_only_the_difference():
    job = completed()
    account = account_of(job)
    terms = CommissionTerms(SplitRule.VISITS_COMPLETED, {job.technician_id: D("0.1")})
    earn(account, job, terms, why())
    earn(account, job, terms, why())  # completed again after a failed check
    assert kinds(account) == [("earned", D("10.00"))]
    assert account.entries[0].rate == D("0.1")
    assert isinstance(account.events[0], CommissionEntryRecorded)


def test_hold_then_release_dates_the_release_at_the_release():
    job = completed()
    account = account_of(job)
    earn(account, job, CommissionTerms(SplitRule.EQUAL, {job.technician_id: D("0.1")}), why())
    hold(account, why("job.deferred", MARCH + timedelta(days=1)))
    hold(account, why("job.deferred"))  # nothing more to hold
    release(account, why("job.undeferred", MAY))
    assert kinds(account) == [
        ("earned", D("10.00")),
        ("held", D("-10.00")),
        ("released", D("10.00")),
    ]
    assert account.entries[-1].at == MAY


def test_a_deferred_job_holds_what_it_earns_and_adjusts():
    job = completed()
    job.deferred_at = MARCH
    account = account_of(job)
    terms = CommissionTerms(SplitRule.EQUAL, {job.technician_id: D("0.1")})
    earn(account, job, terms, why())
    adjust(account, job, terms, D("150.00"), why("job.lines_changed"))
    assert kinds(account) == [
        ("earned", D("10.00")),
        ("held", D("-10.00")),
        ("adjusted", D("5.00")),
        ("held", D("-5.00")),
    ]


def test_an_adjustment_uses_the_rate_earned_at_not_todays():
    job = completed()
    account = account_of(job)
    tech = job.technician_id
    earn(account, job, CommissionTerms(SplitRule.EQUAL, {tech: D("0.1")}), why())
    today = CommissionTerms(SplitRule.EQUAL, {tech: D("0.5")})
    adjust(account, job, today, D("80.00"), why("job.lines_changed"))
    assert kinds(account)[-1] == ("adjusted", D("-2.00"))


def test_nothing_earned_nothing_adjusted():
    job = completed()
    account = account_of(job)
    adjust(account, job, CommissionTerms(SplitRule.EQUAL, {}), D("150.00"), why())
    assert account.entries == []


def test_an_unlink_reverses_its_chargeback_once():
    job = completed()
    account = account_of(job)
    recall, chargeback = uuid4(), uuid4()
    charged = events.ChargebackRecorded(
        job.job_id,
        job.job_number,
        chargeback,
        recall,
        job.technician_id,
        uuid4(),
        D("50.00"),
        D(1),
        D("10.00"),
        D("10.00"),
    )
    charge_back(account, charged, why("recall.linked"))
    reverse_chargebacks(account, recall, "not his work", why("recall.unlinked"))
    reverse_chargebacks(account, recall, "again", why("recall.unlinked"))
    assert kinds(account) == [("charged_back", D("-10.00")), ("reversed", D("10.00"))]
    assert account.entries[1].chargeback_id == chargeback


def _cause(cmd: commands.Command) -> Causation:
    message = uuid4()
    return Causation("test", message, type(cmd).__name__, message, cmd.occurred_at, "test")


async def test_completing_work_on_the_bus_publishes_the_earned_entry():
    world = World({"acme"})
    dispatch = dispatch_job("acme")
    world.directory.technicians[dispatch.technician_id] = (D("0.15"), {})
    bus = MessageBus(world.uow)
    steps: list[commands.Command] = [
        dispatch,
        commands.StartJob("acme", T0, dispatch.job_id),
        commands.CompleteWork("acme", T0, dispatch.job_id, T0),
    ]
    for cmd in steps:
        assert await bus.handle(cmd, _cause(cmd)) is Outcome.APPLIED
    recorded = [e for e in world.published if isinstance(e, CommissionEntryRecorded)]
    assert [(e.entry.kind, e.entry.amount) for e in recorded] == [(EntryKind.EARNED, D("15.00"))]


async def test_reassigning_to_an_unknown_technician_is_refused_with_the_rule():
    world = World({"acme"})
    dispatch = dispatch_job("acme")
    bus = MessageBus(world.uow)
    await bus.handle(dispatch, _cause(dispatch))
    stray = commands.ReassignTechnician("acme", T0, dispatch.job_id, uuid4())
    assert await bus.handle(stray, _cause(stray)) is Outcome.REJECTED
    assert world.rejections[-1][0] == "unknown_technician"
    assert "known technician" in world.rejections[-1][1]

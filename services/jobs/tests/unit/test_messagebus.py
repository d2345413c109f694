"""The message bus and handlers, driven with in-memory fakes of the ports."""

from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.workflow import Step
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit


def causation() -> Causation:
    message_id = uuid4()
    return Causation("test", message_id, "test", message_id, T0, "upstream")


@pytest.fixture
def world() -> World:
    return World(tenants={"acme", "other"})


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


async def test_a_dispatched_job_is_stored_and_its_events_published(world, bus):
    cmd = dispatch_job()
    assert await bus.handle(cmd, causation()) is Outcome.APPLIED
    assert world.jobs[("acme", cmd.job_id)].step is Step.OPEN_DISPATCH
    assert [type(e) for e in world.published] == [events.JobCreated, events.DispatchAssigned]


async def test_the_same_message_twice_changes_nothing_the_second_time(world, bus):
    cmd, why = dispatch_job(), causation()
    await bus.handle(cmd, why)
    published = list(world.published)
    assert await bus.handle(cmd, why) is Outcome.DUPLICATE
    assert world.published == published


async def test_an_impossible_transition_is_rejected_and_changes_nothing(world, bus):
    cmd = dispatch_job()
    await bus.handle(cmd, causation())
    before = len(world.published)
    complete = commands.CompleteWork("acme", T0, cmd.job_id, T0)
    assert await bus.handle(complete, causation()) is Outcome.REJECTED
    assert world.jobs[("acme", cmd.job_id)].step is Step.OPEN_DISPATCH
    assert len(world.published) == before
    assert world.rejections[0][0] == "impossible_transition"


async def test_facts_for_unknown_jobs_and_tenants_are_rejected(world, bus):
    assert await bus.handle(commands.StartJob("acme", T0, uuid4()), causation()) is Outcome.REJECTED
    assert await bus.handle(dispatch_job("nobody"), causation()) is Outcome.REJECTED
    assert [kind for kind, _ in world.rejections] == ["unknown_job", "unknown_tenant"]


async def test_another_tenants_job_is_unknown(world, bus):
    cmd = dispatch_job("acme")
    await bus.handle(cmd, causation())
    start_elsewhere = commands.StartJob("other", T0, cmd.job_id)
    assert await bus.handle(start_elsewhere, causation()) is Outcome.REJECTED
    assert world.jobs[("acme", cmd.job_id)].step is Step.OPEN_DISPATCH


async def test_a_second_dispatch_of_the_same_job_is_a_conflict(world, bus):
    cmd = dispatch_job()
    await bus.handle(cmd, causation())
    again = replace(cmd, job_number="J-2")
    assert await bus.handle(again, causation()) is Outcome.REJECTED
    assert world.rejections == [("conflict", f"job {cmd.job_id} (J-2) was dispatched already")]


async def test_a_payment_id_is_applied_once(world, bus):
    cmd = dispatch_job()
    await bus.handle(cmd, causation())
    pay = commands.RecordPayment("acme", T0, cmd.job_id, uuid4(), Decimal("10.00"), "cash")
    assert await bus.handle(pay, causation()) is Outcome.APPLIED
    assert await bus.handle(pay, causation()) is Outcome.REJECTED  # new message, same payment
    assert world.jobs[("acme", cmd.job_id)].amount_paid == Decimal("10.00")


async def test_an_older_customer_upsert_does_not_roll_back_a_newer_one(world, bus):
    customer = uuid4()
    newer = commands.UpsertCustomer("acme", T0, customer, "New name", (), None)
    older = replace(newer, name="Old name", occurred_at=T0.replace(year=2025))
    await bus.handle(newer, causation())
    await bus.handle(older, causation())
    stored = world.directory.customers[customer]
    assert stored is not None
    assert stored.name == "New name"

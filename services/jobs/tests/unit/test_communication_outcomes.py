"""Issue 19: what the comms service reports reaches the lifecycle topic once per real
change, with the job's id and never an address, a phone number or the provider's text:
delivery statuses through the bus (in-memory fakes), then the wire mapping."""

import json
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from jobline_contracts import lifecycle
from jobline_contracts.codec import decode
from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_jobs.adapters import wire
from jobline_jobs.adapters.outbox import CausedMessages
from jobline_jobs.domain import commands
from jobline_jobs.domain.delivery_outcomes import CommunicationOutcome, RecipientOptedOut
from jobline_jobs.domain.sends import TrackedDelivery
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
PHONE = "+15555550101"
PROVIDER_TEXT = "Unreachable destination +15555550101 (dana@example.com)"


def reported(minutes: int = 0) -> Causation:
    message_id, at = uuid4(), T0 + timedelta(minutes=minutes)
    return Causation(
        "jobs.comms", message_id, "comms", message_id, at, "comms", source_occurred_at=at
    )


@pytest.fixture
def world() -> World:
    return World(tenants={"acme"})


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


@pytest.fixture
def delivery(world: World) -> TrackedDelivery:
    found = TrackedDelivery(
        "acme", uuid4(), uuid4(), uuid4(), "J-1", "sms", "Dana", "queued", recipient_id=uuid4()
    )
    found.customer_id = uuid4()
    world.deliveries[found.delivery_id] = found
    world.texted[("acme", PHONE)] = found.delivery_id
    return found


async def report(bus: MessageBus, delivery_id: UUID, status: str, minutes: int = 0) -> None:
    cmd = commands.RecordDeliveryStatus(
        "acme", T0 + timedelta(minutes=minutes), delivery_id, status, "30003", PROVIDER_TEXT
    )
    await bus.handle(cmd, reported(minutes))


async def reply(bus: MessageBus, *, opted_out: bool, minutes: int, phone: str = PHONE) -> None:
    keyword = "STOP" if opted_out else "START"
    cmd = commands.RecordOptOut("acme", T0 + timedelta(minutes=minutes), phone, opted_out, keyword)
    await bus.handle(cmd, reported(minutes))


def outcomes(world: World) -> list[CommunicationOutcome]:
    return [e for e in world.published if isinstance(e, CommunicationOutcome)]


def opt_outs(world: World) -> list[RecipientOptedOut]:
    return [e for e in world.published if isinstance(e, RecipientOptedOut)]


async def test_a_delivery_s_outcome_is_recorded_once_however_often_and_late_it_is_reported(
    world, bus, delivery
):
    for minute, status in enumerate(("sent", "delivered", "delivered", "sent", "failed")):
        await report(bus, delivery.delivery_id, status, minute)

    (delivered,) = outcomes(world)
    assert (delivered.outcome, delivered.job_id, delivered.delivery_id) == (
        "delivered",
        delivery.job_id,
        delivery.delivery_id,
    )
    assert delivered.recipient_id == delivery.recipient_id
    assert world.deliveries[delivery.delivery_id].status == "delivered"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("failed", "failed"), ("bounced", "bounced"), ("opted_out", "failed")],
)
async def test_a_failed_delivery_keeps_the_provider_s_code_and_not_its_text(
    world, bus, delivery, status, outcome
):
    await report(bus, delivery.delivery_id, status)

    (ended,) = outcomes(world)
    assert (ended.outcome, ended.error_code) == (outcome, "30003")
    assert PROVIDER_TEXT not in repr(ended)


async def test_statuses_on_the_way_publish_no_outcome(world, bus, delivery):
    for minute, status in enumerate(("sent", "unknown", "queued")):
        await report(bus, delivery.delivery_id, status, minute)
    assert outcomes(world) == []


async def test_a_stop_names_the_text_it_answered_once_until_a_start(world, bus, delivery):
    await reply(bus, opted_out=True, minutes=1)
    await reply(bus, opted_out=True, minutes=2)  # a repeat: the number is opted out already
    await reply(bus, opted_out=False, minutes=3)
    await reply(bus, opted_out=True, minutes=4)

    first, again = opt_outs(world)
    assert first == again
    assert (first.job_id, first.communication_id, first.delivery_id) == (
        delivery.job_id,
        delivery.communication_id,
        delivery.delivery_id,
    )
    assert (first.recipient_id, first.customer_id, first.keyword) == (
        delivery.recipient_id,
        delivery.customer_id,
        "STOP",
    )


async def test_a_stop_from_a_number_never_texted_or_older_than_a_start_publishes_nothing(
    world, bus, delivery
):
    await reply(bus, opted_out=True, minutes=1, phone="+15555550199")
    await reply(bus, opted_out=False, minutes=5)
    await reply(bus, opted_out=True, minutes=4)  # delivered late: the START is newer
    assert opt_outs(world) == []


# The wire ---------------------------------------------------------------------------

JOB, COMMUNICATION, DELIVERY, RECIPIENT = uuid4(), uuid4(), uuid4(), uuid4()


def only_lifecycle_row(written: wire.Written) -> dict:
    entry, rows = written
    ((topic, key, value, headers, *_),) = rows
    assert (topic, key) == (JOBS_LIFECYCLE.name, str(JOB).encode())
    assert json.loads(headers)["message-type"] == json.loads(value)["type"]
    assert PHONE.encode() not in value
    assert b"example.com" not in value
    envelope = decode(JOBS_LIFECYCLE, value)  # the published model validates it
    return {"entry": entry, "envelope": envelope}


@pytest.mark.parametrize(
    ("outcome", "model"),
    [
        ("delivered", lifecycle.CommunicationDelivered),
        ("failed", lifecycle.CommunicationFailed),
        ("bounced", lifecycle.CommunicationBounced),
    ],
)
def test_an_outcome_is_a_lifecycle_event_of_the_job_and_no_second_timeline_row(outcome, model):
    event = CommunicationOutcome(
        JOB, "J-1", COMMUNICATION, DELIVERY, RECIPIENT, "sms", outcome, "30003"
    )
    why = reported(3)

    written = only_lifecycle_row(wire.written(event, "acme", CausedMessages(why)))

    assert written["entry"] is None  # delivery.status_changed is on the timeline already
    envelope = written["envelope"]
    assert isinstance(envelope.payload, model)
    assert (envelope.payload.job_id, envelope.payload.delivery_id) == (JOB, DELIVERY)
    assert envelope.payload.recipient_id == RECIPIENT
    assert envelope.source_occurred_at == why.occurred_at
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    if outcome != "delivered":
        assert envelope.payload.error_code == "30003"


def test_an_opt_out_is_on_the_job_s_timeline_and_topic_without_the_number():
    event = RecipientOptedOut(JOB, "J-1", COMMUNICATION, DELIVERY, RECIPIENT, uuid4(), "STOP")

    written = only_lifecycle_row(wire.written(event, "acme", CausedMessages(reported())))

    entry, payload = written["entry"], written["envelope"].payload
    assert isinstance(payload, lifecycle.RecipientOptedOut)
    assert (payload.job_id, payload.recipient_id, payload.keyword) == (JOB, RECIPIENT, "STOP")
    assert entry is not None
    assert entry.type == "recipient.opted_out"
    assert PHONE not in entry.details

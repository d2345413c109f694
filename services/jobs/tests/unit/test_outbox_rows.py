"""A lifecycle outbox row holds exactly the bytes ``Envelope.to_json`` writes, with a
message id derived from its cause, and the timeline gets the same payload JSON."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pydantic_core
import pytest

from jobline_contracts import lifecycle as wire
from jobline_contracts.comms import SendSms
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import COMMS_COMMANDS, JOBS_LIFECYCLE
from jobline_jobs.adapters.outbox import CausedMessages, event_id
from jobline_jobs.service_layer.unit_of_work import Causation

JOB = uuid4()
PAYLOADS: list[Payload] = [
    wire.JobDispatchAssigned(
        job_id=JOB,
        job_number="J-1",
        dispatch_id=uuid4(),
        technician_id=uuid4(),
        arrival_window_start=datetime(2026, 11, 26, 15, 0, 0, 123456, tzinfo=UTC),
        arrival_window_end=datetime(2026, 11, 26, 17, 0, tzinfo=timezone(timedelta(hours=-7))),
    ),
    wire.JobRecallLinked(
        job_id=JOB,
        job_number="J-1",
        original_job_id=uuid4(),
        reason='leak came back \u00e9 "again"\n',
        chargeback_id=None,
        chargeback_amount=Decimal("0.00"),
    ),
    wire.JobPaymentRecorded(
        job_id=JOB,
        job_number="J-1",
        payment_id=uuid4(),
        amount=Decimal("12.50"),
        amount_paid=Decimal("12.50"),
        balance_due=Decimal("87.50"),
        currency="USD",
    ),
]
RECORDED = datetime(2026, 11, 26, 15, 0, 2, 250000, tzinfo=UTC)
CAUSES = [
    datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
    datetime(2026, 11, 26, 15, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


@pytest.mark.parametrize("occurred_at", CAUSES)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_lifecycle_row_is_the_envelope_serialised_by_pydantic(
    payload: Payload, occurred_at: datetime
) -> None:
    cause = uuid4()
    causation = Causation(
        "jobs.test", cause, "job.test", uuid4(), occurred_at, "upstream", recorded_at=RECORDED
    )
    messages = CausedMessages(causation)
    for _ in range(3):
        messages.row(PAYLOADS[0], "tenant-a", uuid4())
    row, details = messages.row(payload, "tenant-a", JOB)
    expected = Envelope.wrap(
        payload,
        tenant_id="tenant-a",
        occurred_at=RECORDED,
        correlation_id=causation.correlation_id,
        causation_id=cause,
        message_id=event_id(causation, 3),
    )
    assert row.value == expected.to_json()
    assert Envelope[type(payload)].model_validate_json(row.value) == expected  # type: ignore[misc]
    assert (row.topic, row.key) == (JOBS_LIFECYCLE.name, str(JOB).encode())
    assert json.loads(row.headers)["message-type"] == payload.message_type
    assert json.loads(details) == payload.model_dump(mode="json")


def test_a_redelivered_cause_writes_the_same_messages_at_its_own_time() -> None:
    causation = Causation("jobs.test", uuid4(), "job.test", uuid4(), CAUSES[0], "upstream")
    # Another copy of the same envelope, handled later (the first attempt rolled back).
    redelivered = replace(causation, source=None, recorded_at=RECORDED + timedelta(seconds=9))

    def written(why: Causation) -> list[bytes]:
        messages = CausedMessages(why)
        return [messages.row(payload, "tenant-a", JOB)[0].value for payload in PAYLOADS]

    def restamped(value: bytes) -> dict[str, object]:
        return {**json.loads(value), "occurred_at": None}

    first, again = written(causation), written(redelivered)
    assert [restamped(v) for v in first] == [restamped(v) for v in again]
    assert json.loads(again[0])["occurred_at"] == "2026-11-26T15:00:11.250000Z"
    ids = [json.loads(value)["message_id"] for value in first]
    assert ids == [str(event_id(causation, n)) for n in range(len(PAYLOADS))]
    assert len(set(ids)) == len(PAYLOADS)


def test_a_command_to_another_service_is_stamped_the_same_way_in_its_own_flow() -> None:
    causation = Causation("api", uuid4(), "api.SendCommunication", uuid4(), CAUSES[1], "op")
    causation = replace(causation, recorded_at=CAUSES[1])
    messages = CausedMessages(causation)
    lifecycle, _ = messages.row(PAYLOADS[0], "tenant-a", JOB)
    communication, delivery = uuid4(), uuid4()
    command = SendSms(
        delivery_id=delivery,
        communication_id=communication,
        job_id=JOB,
        recipient_id=uuid4(),
        to="+15555550100",
        body='On our way "soon" \u00e9',
    )

    row = messages.command(
        COMMS_COMMANDS.name, delivery, command, "tenant-a", correlation_id=communication
    )

    expected = Envelope.wrap(
        command,
        tenant_id="tenant-a",
        occurred_at=CAUSES[1].astimezone(UTC),  # Jobline's own messages are stamped in UTC
        correlation_id=communication,
        causation_id=causation.message_id,
        message_id=event_id(causation, 1),
    )
    assert row.value == expected.to_json()
    assert (row.topic, row.key) == (COMMS_COMMANDS.name, str(delivery).encode())
    assert json.loads(lifecycle.value)["correlation_id"] == str(causation.correlation_id)


def test_a_command_published_later_keeps_the_trace_it_is_given() -> None:
    causation = Causation("scheduler", uuid4(), "scheduler", uuid4(), CAUSES[0], "scheduler")
    messages = CausedMessages(causation)
    stored = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    command = SendSms(
        delivery_id=uuid4(),
        communication_id=uuid4(),
        job_id=JOB,
        recipient_id=uuid4(),
        to="+15555550100",
        body="Reminder",
    )

    row = messages.command(COMMS_COMMANDS.name, uuid4(), command, "t", traceparent=stored)

    assert row.traceparent == stored


# issue 19
@pytest.mark.parametrize("occurred_at", CAUSES)
def test_a_consumed_cause_s_events_are_stamped_with_jobline_s_utc_time_and_the_cause_s_own(
    occurred_at: datetime,
) -> None:
    local = datetime(2026, 11, 26, 19, 0, 2, 250000, tzinfo=timezone(timedelta(hours=4)))
    causation = Causation(
        "jobs.dispatch",
        uuid4(),
        "job.started",
        uuid4(),
        occurred_at,
        "upstream",
        recorded_at=local,  # a clock that answers in another zone still writes UTC
        source_occurred_at=occurred_at,
    )
    row, _ = CausedMessages(causation).row(PAYLOADS[2], "tenant-a", JOB)

    expected = Envelope.wrap(
        PAYLOADS[2],
        tenant_id="tenant-a",
        occurred_at=RECORDED,
        correlation_id=causation.correlation_id,
        causation_id=causation.message_id,
        message_id=event_id(causation, 0),
        source_occurred_at=occurred_at,
    )
    assert row.value == expected.to_json()
    written = json.loads(row.value)
    assert written["occurred_at"] == "2026-11-26T15:00:02.250000Z"
    assert datetime.fromisoformat(written["source_occurred_at"]) == occurred_at
    assert written["source_occurred_at"] == pydantic_core.to_json(occurred_at).decode().strip('"')


def test_a_request_s_events_carry_no_source_time() -> None:
    causation = Causation("api", uuid4(), "api.DeferJob", uuid4(), RECORDED, "op:t")
    row, _ = CausedMessages(causation).row(PAYLOADS[0], "tenant-a", JOB)
    assert "source_occurred_at" not in json.loads(row.value)

"""Every message a cause writes to the outbox names itself as a CloudEvent: the row's
``ce_id`` and ``ce_time`` are its envelope's ``message_id`` and ``occurred_at`` (as the
envelope writes it), ``ce_subject`` the job it is about, and the shared headers the
type and the jobs service as source; the SDK reads the relayed headers back."""

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from jobline_contracts import lifecycle as wire
from jobline_contracts.comms import SendSms
from jobline_contracts.topics import COMMS_COMMANDS
from jobline_infra import cloud_events
from jobline_infra.observability import tracing
from jobline_jobs.adapters.outbox import CausedMessages, dead_letter_row
from jobline_jobs.adapters.rows import OutboxRow
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

pytestmark = pytest.mark.unit
JOB = uuid4()


def _as_relayed(row: OutboxRow) -> KafkaMessage:
    """The headers the relay sends for ``row`` (without tracing)."""
    assert row.ce_id is not None
    assert row.ce_time is not None
    headers = {k: v.encode() for k, v in json.loads(row.headers).items()}
    headers.update(cloud_events.per_message(row.ce_id, row.ce_time, row.ce_subject))
    return KafkaMessage(headers, row.key, row.value)


@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 15, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_lifecycle_and_command_rows_carry_their_envelopes_id_time_and_job(occurred_at):
    causation = Causation(
        "jobs.test", uuid4(), "job.test", uuid4(), occurred_at, "upstream", recorded_at=occurred_at
    )
    messages = CausedMessages(causation)
    lifecycle, _ = messages.row(
        wire.JobUndeferred(job_id=JOB, job_number="J-1", undeferred_by="operator:t"), "acme", JOB
    )
    sms = SendSms(
        delivery_id=uuid4(), communication_id=uuid4(), job_id=JOB, recipient_id=uuid4(),
        to="+15555550100", body="On our way",
    )  # fmt: skip
    command = messages.command(COMMS_COMMANDS.name, sms.delivery_id, sms, "acme")

    for row, message_type in ((lifecycle, "job.undeferred"), (command, "sms.send")):
        envelope = json.loads(row.value)
        assert row.ce_id == envelope["message_id"]
        assert row.ce_time == envelope["occurred_at"]
        assert row.ce_subject == str(JOB)
        event = from_binary(_as_relayed(row), JSONFormat())
        assert event.get_id() == envelope["message_id"]
        assert event.get_type() == f"dev.jobline.{message_type}"
        assert event.get_source() == "/jobline/jobs"
        assert event.get_subject() == str(JOB)
        assert event.get_time() == occurred_at
        assert event.get_datacontenttype() == "application/json"
        assert event.get_data() == envelope
    assert lifecycle.ce_id != command.ce_id


def test_a_command_about_no_job_has_no_subject():
    causation = Causation("jobs.test", uuid4(), "job.test", uuid4(), datetime.now(UTC), "api")
    sms = SendSms(
        delivery_id=uuid4(), communication_id=uuid4(), recipient_id=uuid4(), to="+15555550100",
        body="Hello",
    )  # fmt: skip
    row = CausedMessages(causation).command(COMMS_COMMANDS.name, sms.delivery_id, sms, "acme")
    assert row.ce_subject is None
    assert UUID(str(row.ce_id)) == UUID(json.loads(row.value)["message_id"])


def test_a_dead_letter_is_no_cloud_event_of_ours():
    source = SourceMessage("dispatch.events.v1", 0, 7, b"k", b"not json")
    row = dead_letter_row(source, "jobs", "undecodable", "not JSON")
    assert (row.ce_id, row.ce_time, row.ce_subject) == (None, None, None)


FACT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SAME_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"
BATCH_TRACE = "00-0af7651916cd43dd8448eb211c80319c-2222222222222222-01"


@pytest.mark.parametrize(
    ("handling", "own", "published"),
    [
        (None, FACT, FACT),  # export off, a batch: no context but the fact's own
        (SAME_TRACE, FACT, SAME_TRACE),  # handled in the fact's trace: its span
        (BATCH_TRACE, FACT, FACT),  # a batch's trace of its own: the fact's
        (BATCH_TRACE, None, BATCH_TRACE),  # a fact without one: the handling's
        (None, None, None),
    ],
)
def test_what_a_fact_causes_stays_in_the_fact_s_trace(handling, own, published):
    causation = Causation(
        "jobs.test", uuid4(), "job.dispatched", uuid4(), datetime.now(UTC), "upstream",
        traceparent=own,
    )  # fmt: skip
    payload = wire.JobUndeferred(job_id=JOB, job_number="J-1", undeferred_by="operator:t")
    with tracing.attached(handling):
        row, _ = CausedMessages(causation).row(payload, "acme", JOB)
    assert row.traceparent == published

"""CloudEvents headers: the shared ones built by the SDK plus the per-message ones the
relay adds are exactly what the SDK's Kafka binding writes for the whole event, and the
SDK reads a relayed row back as the envelope's message, with or without tracing."""

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from jobline_infra import cloud_events
from jobline_infra.observability import tracing
from jobline_infra.outbox_relay import OutboxRelay

pytestmark = pytest.mark.unit
MINUS_FIVE = timezone(timedelta(hours=-5))
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, topic, value=None, key=None, headers=None):
        self.sent.append({"key": key, "value": value, "headers": dict(headers or [])})
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class FakeConnection:
    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    async def fetch(self, query, limit, *lanes):
        return self.rows[:limit]

    async def execute(self, query, ids):
        pass


@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(2026, 12, 7, 17, 36, 5, 771602, tzinfo=UTC),
        datetime(2026, 12, 1, 14, tzinfo=UTC),
        datetime(2026, 12, 1, 14, tzinfo=MINUS_FIVE),
    ],
)
@pytest.mark.parametrize("subject", [str(uuid4()), None])
def test_shared_and_per_message_headers_are_what_the_sdk_writes(occurred_at, subject):
    message_id = str(uuid4())
    whole = cloud_events.binary_headers("job.created", "jobs", message_id, occurred_at, subject)
    # ce_time as an envelope writes occurred_at (pydantic's JSON form).
    written = occurred_at.isoformat().replace("+00:00", "Z")
    split = {
        **{k: v.encode() for k, v in cloud_events.shared("job.created", "jobs").items()},
        **dict(cloud_events.per_message(message_id, written, subject)),
    }
    assert split == whole
    assert whole["ce_type"] == b"dev.jobline.job.created"
    assert whole["ce_source"] == b"/jobline/jobs"
    assert whole["ce_specversion"] == b"1.0"
    assert whole["content-type"] == b"application/json"


def _relayed_row(traceparent: str | None) -> dict:
    message_id, job_id = str(uuid4()), str(uuid4())
    value = json.dumps({"message_id": message_id, "type": "job.created", "payload": {}})
    headers = {"message-type": "job.created", **cloud_events.shared("job.created", "jobs")}
    return {
        "outbox_id": 1,
        "topic": "jobs.lifecycle.v1",
        "key": job_id.encode(),
        "value": value.encode(),
        "headers": json.dumps(headers),
        "traceparent": traceparent,
        "ce_id": message_id,
        "ce_time": "2026-12-07T17:36:05.771602Z",
        "ce_subject": job_id,
    }


@pytest.mark.parametrize("traced", [False, True])
async def test_the_sdk_reads_a_relayed_row_as_its_envelopes_event(traced, monkeypatch):
    monkeypatch.setitem(tracing._state, "enabled", traced)  # the span path, no exporter
    traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    row = _relayed_row(traceparent)
    producer = FakeProducer()
    relay = OutboxRelay("postgresql://unused", producer, schema="cetest", channel="c", lock_id=1)

    assert await relay.relay_batch(FakeConnection([row]), range(relay.lanes)) == 1

    sent = producer.sent[0]
    event = from_binary(KafkaMessage(sent["headers"], sent["key"], sent["value"]), JSONFormat())
    assert event.get_id() == row["ce_id"]
    assert event.get_type() == "dev.jobline.job.created"
    assert event.get_source() == "/jobline/jobs"
    assert event.get_subject() == row["ce_subject"]
    assert event.get_time() == datetime(2026, 12, 7, 17, 36, 5, 771602, tzinfo=UTC)
    assert event.get_data() == json.loads(row["value"])
    assert sent["headers"]["traceparent"].decode().split("-")[1] == TRACE_ID


async def test_a_row_without_a_cloud_events_id_gets_no_per_message_headers():
    row = {**_relayed_row(None), "ce_id": None, "ce_time": None, "ce_subject": None}
    producer = FakeProducer()
    relay = OutboxRelay("postgresql://unused", producer, schema="cetest", channel="c", lock_id=1)

    await relay.relay_batch(FakeConnection([row]), range(relay.lanes))

    assert not {"ce_id", "ce_time", "ce_subject"} & set(producer.sent[0]["headers"])

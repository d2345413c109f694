"""The relay puts each row's stored trace context into the Kafka headers and counts
what it published, dead letters by topic and kind."""

import asyncio
import json

import pytest
from prometheus_client import REGISTRY

from jobline_infra.outbox_relay import OutboxRelay

pytestmark = pytest.mark.unit
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, topic, value=None, key=None, headers=None):
        self.sent.append({"topic": topic, "key": key, "headers": dict(headers or [])})
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class FakeConnection:
    def __init__(self, rows: list[dict]) -> None:
        self.rows, self.deleted = rows, []

    async def fetch(self, query, limit):
        return self.rows[:limit]

    async def execute(self, query, ids):
        self.deleted.extend(ids)


def _row(outbox_id: int, topic: str, headers: dict, traceparent: str | None) -> dict:
    return {
        "outbox_id": outbox_id,
        "topic": topic,
        "key": b"k",
        "value": b"{}",
        "headers": json.dumps(headers),
        "traceparent": traceparent,
    }


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_rows_go_out_with_their_trace_context_and_are_counted():
    conn = FakeConnection(
        [
            _row(
                1,
                "comms.commands.v1",
                {"message-type": "sms.send"},
                f"00-{TRACE_ID}-00f067aa0ba902b7-01",
            ),
            _row(2, "jobs.lifecycle.v1", {}, None),
            _row(3, "dispatch.events.v1.dlq", {"x-dlq-kind": "impossible_transition"}, None),
        ]
    )
    producer = FakeProducer()
    relay = OutboxRelay("postgresql://unused", producer, schema="relaytest", channel="c", lock_id=1)
    dead = _sample(
        "jobline_dead_letters_total", topic="dispatch.events.v1", kind="impossible_transition"
    )
    published = _sample(
        "jobline_outbox_published_total", outbox="relaytest", topic="comms.commands.v1"
    )

    assert await relay.relay_batch(conn) == 3

    command, lifecycle, _ = producer.sent
    assert command["headers"]["message-type"] == b"sms.send"
    assert command["headers"]["traceparent"].decode().split("-")[1] == TRACE_ID
    assert "traceparent" not in lifecycle["headers"]
    assert conn.deleted == [1, 2, 3]
    assert (
        _sample("jobline_outbox_published_total", outbox="relaytest", topic="comms.commands.v1")
        == published + 1
    )
    assert (
        _sample(
            "jobline_dead_letters_total", topic="dispatch.events.v1", kind="impossible_transition"
        )
        == dead + 1
    )

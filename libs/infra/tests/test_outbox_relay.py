"""The relay puts each row's stored trace context into the Kafka headers and counts
what it published, dead letters by topic and kind; replicas split the outbox's lanes
between them, publish every row once in per-key order, and take over a dead one's lanes."""

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY

from jobline_infra.outbox_lanes import lane_of
from jobline_infra.outbox_relay import OutboxRelay
from jobline_testing.polling import eventually

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, topic, value=None, key=None, headers=None):
        self.sent.append(
            {"topic": topic, "key": key, "value": value, "headers": dict(headers or [])}
        )
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class FakeConnection:
    def __init__(self, rows: list[dict]) -> None:
        self.rows, self.deleted = rows, []

    async def fetch(self, query, limit, *lanes):
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
        **dict.fromkeys(("ce_id", "ce_time", "ce_subject")),  # none: test_cloud_events has them
    }


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.unit
async def test_rows_go_out_with_their_trace_context_and_are_counted():
    # No exporter here, so no span: the stored context goes out as it is (the recorded
    # publish span's own context is followed end to end in tests/e2e/test_observability).
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

    assert await relay.relay_batch(conn, range(relay.lanes)) == 3

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


LANES, KEYS, ROWS_PER_KEY = 8, 40, 12
LOCK = 0x54455354  # "TEST"
TEST_LOCKS = """FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


@contextlib.asynccontextmanager
async def _relaying(
    url: str, producer: FakeProducer, lanes: int = LANES
) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(
        url, producer, schema="jobs", channel="jobs_outbox", lock_id=LOCK, lanes=lanes,
        batch_size=25, poll_interval=0.1, rebalance_interval=0.1,
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def _fill(url: str) -> list[bytes]:
    """KEYS keys' rows, interleaved across keys, each key's numbered in write order."""
    keys = [f"job-{n}".encode() for n in range(KEYS)]
    conn = await asyncpg.connect(url)
    try:
        # An autovacuum worker in the test's database (this churn would start one) makes
        # the fixture's DROP DATABASE ... WITH (FORCE) fail: it may not terminate it.
        await conn.execute("ALTER TABLE jobs.outbox SET (autovacuum_enabled = false)")
        await conn.executemany(
            "INSERT INTO jobs.outbox (topic, key, value) VALUES ('t', $1, $2)",
            [(key, b"%d" % n) for n in range(ROWS_PER_KEY) for key in keys],
        )
        await conn.execute("SELECT pg_notify('jobs_outbox', '')")
    finally:
        await conn.close()
    return keys


async def _outbox_empty(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM jobs.outbox") == 0
    finally:
        await conn.close()


def _by_key(producer: FakeProducer) -> dict[bytes, list[int]]:
    found: dict[bytes, list[int]] = defaultdict(list)
    for sent in producer.sent:
        found[sent["key"]].append(int(sent["value"]))
    return found


@pytest.mark.integration
async def test_two_relays_split_the_lanes_and_publish_each_row_once_in_key_order(
    own_database_url: str,
) -> None:
    first, second = FakeProducer(), FakeProducer()
    async with _relaying(own_database_url, first) as a, _relaying(own_database_url, second) as b:

        async def split() -> bool:
            return len(a.held) == len(b.held) == LANES // 2 and not a.held & b.held

        await eventually(split, within=20)
        keys = await _fill(own_database_url)

        async def drained() -> bool:
            return await _outbox_empty(own_database_url)

        await eventually(drained, within=30)
        held = {id(first): a.held, id(second): b.held}
        assert len(a.held) == len(b.held) == LANES // 2  # nobody moved meanwhile

    for producer in (first, second):
        assert {lane_of(key, LANES) for key in _by_key(producer)} <= held[id(producer)]
    assert first.sent
    assert second.sent
    together = _by_key(first) | _by_key(second)
    assert set(_by_key(first)).isdisjoint(_by_key(second))
    assert together == {key: list(range(ROWS_PER_KEY)) for key in keys}


@pytest.mark.integration
async def test_a_dead_relays_lanes_go_to_the_other_which_takes_them_back_after_a_reconnect(
    own_database_url: str,
) -> None:
    survivor = FakeProducer()
    async with _relaying(own_database_url, survivor) as b:
        async with _relaying(own_database_url, FakeProducer()) as a:

            async def split() -> bool:
                return bool(a.held) and bool(b.held)

            await eventually(split, within=20)
        # a is gone (its session with it); b takes every lane and relays them all
        keys = await _fill(own_database_url)

        async def everything() -> bool:
            return len(b.held) == LANES and await _outbox_empty(own_database_url)

        await eventually(everything, within=30)
        assert _by_key(survivor) == {key: list(range(ROWS_PER_KEY)) for key in keys}

        admin = await asyncpg.connect(own_database_url)
        try:  # cut b's database session: its locks go; it reconnects and takes them again
            cut = [r["pid"] for r in await admin.fetch("SELECT DISTINCT pid " + TEST_LOCKS, LOCK)]
            await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", cut)

            async def reconnected() -> bool:
                held = await admin.fetchval(
                    "SELECT count(*) " + TEST_LOCKS + " AND objid::bigint >> 16 = $2"
                    " AND objid::bigint & 65535 < $2 AND pid <> ALL($3::int[])",
                    LOCK,
                    LANES,
                    cut,
                )
                return held == LANES and len(b.held) == LANES

            await eventually(reconnected, within=30)
        finally:
            await admin.close()
        survivor.sent.clear()
        await _fill(own_database_url)
        await eventually(everything, within=30)
        assert _by_key(survivor) == {key: list(range(ROWS_PER_KEY)) for key in keys}


@pytest.mark.integration
async def test_a_relay_with_another_number_of_lanes_waits_until_the_old_ones_are_gone(
    own_database_url: str,
) -> None:
    """Lanes of 8 and lanes of 4 cut keys differently: never both at once."""
    newer = FakeProducer()
    async with contextlib.AsyncExitStack() as staying:
        async with _relaying(own_database_url, FakeProducer()) as old:

            async def old_leads() -> bool:
                return len(old.held) == LANES

            await eventually(old_leads, within=20)
            new = await staying.enter_async_context(_relaying(own_database_url, newer, lanes=4))

            async def new_waits() -> bool:
                return new.connected

            await eventually(new_waits, within=20)
            await _fill(own_database_url)

            async def drained() -> bool:
                return await _outbox_empty(own_database_url)

            await eventually(drained, within=30)
            assert not new.held
            assert not newer.sent
        keys = await _fill(own_database_url)

        async def taken_over() -> bool:
            return len(new.held) == 4 and await _outbox_empty(own_database_url)

        await eventually(taken_over, within=30)
        assert _by_key(newer) == {key: list(range(ROWS_PER_KEY)) for key in keys}

"""The outbox relay: publishes committed outbox rows to Kafka in id order, then deletes them.

The outbox is cut into lanes by key hash (``outbox_lanes``); each lane is relayed by the
one replica whose session holds its advisory lock, so N replicas relay in parallel while
each key's rows go out in id order. A replica relays the lanes it holds together: one
query in id order over its lanes, every row of the batch in flight at once, one delete.
It wakes on NOTIFY and also polls, so a missed notification only delays. A crash after
sending and before deleting republishes a batch: at-least-once, and consumers
deduplicate on message_id. A lost database session loses its locks (the server drops
them), so the replica starts over: reconnect, rejoin, take lanes again.
"""

import asyncio
import contextlib
import functools
import json
import logging
from collections import Counter
from collections.abc import Collection
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry.trace import SpanKind

from jobline_contracts.topics import DLQ_SUFFIX
from jobline_infra import cloud_events
from jobline_infra.observability import metrics, tracing
from jobline_infra.outbox_lanes import LaneClaims
from jobline_infra.retrying import until_stopped

log = logging.getLogger(__name__)
_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, KafkaError)
_SHARED_HEADERS_MAX = 200  # characters: a message type's headers, not a dead letter's
_COLUMNS = "outbox_id, topic, key, value, headers, traceparent, ce_id, ce_time, ce_subject"


class OutboxRelay:
    """Relays ``<schema>.outbox`` (columns outbox_id, topic, key, value, headers,
    traceparent, ce_id, ce_time, ce_subject, lane_hash), woken by NOTIFY on ``channel``,
    over ``lanes`` lanes whose advisory locks derive from ``lock_id`` (one per service)."""

    def __init__(
        self,
        dsn: str,
        producer: AIOKafkaProducer,
        *,
        schema: str,
        channel: str,
        lock_id: int,
        lanes: int = 8,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        rebalance_interval: float = 2.0,
        topic_prefix: str = "",
    ) -> None:
        self._schema, self._channel, self._lock_id = schema, channel, lock_id
        self._dsn = dsn
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval, self._rebalance_interval = poll_interval, rebalance_interval
        self._topic_prefix = topic_prefix
        self._wake = asyncio.Event()
        self.lanes = lanes
        LaneClaims(lock_id, lanes)  # checks both now, not at the first connection
        self.held: frozenset[int] = frozenset()
        self.connected = False  # a database session: holding lanes or waiting for some
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set, starting a new session after database or broker
        failures. A broker that timed a batch out starts one too (lanes taken again):
        what was sent and not deleted goes again, never lost."""
        sessions = until_stopped(_FAILURES, stop, f"outbox relay {self._schema}")
        with contextlib.suppress(*_FAILURES):  # raised only once stopping
            await sessions(self._session, stop)

    async def _session(self, stop: asyncio.Event) -> None:
        """One database session: join, then relay the lanes held, rebalancing now and then.
        Whatever ends it, the session's locks end with it."""
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        claims = LaneClaims(self._lock_id, self.lanes)
        try:
            self.connected = True  # holding lanes or waiting for some: ready either way
            while not await claims.join(conn):
                log.info("outbox relay %s: a single-relay process leads; waiting", self._schema)
                if await _sleep_unless(stop, self._poll_interval * 2):
                    return
            await conn.add_listener(self._channel, lambda *_: self._wake.set())
            loop = asyncio.get_running_loop()
            next_round = loop.time()
            while not stop.is_set():
                if loop.time() >= next_round:
                    await self._rebalance(conn, claims)
                    next_round = loop.time() + self._rebalance_interval
                self._wake.clear()
                if self.held and await self.relay_batch(conn, self.held) == self._batch_size:
                    continue  # more may be waiting
                await self._idle(stop, min(self._poll_interval, next_round - loop.time()))
        finally:
            self.connected = False
            self._hold(claims, frozenset())
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)

    async def _rebalance(self, conn: asyncpg.Connection, claims: LaneClaims) -> None:
        """Between batches, so a lane is released only once what was read of it is sent."""
        taken, surplus = await claims.rebalance(conn)
        await claims.release(conn, surplus)
        if taken or surplus:
            self._wake.set()  # new lanes may have rows waiting
        self._hold(claims, frozenset(claims.held))

    def _hold(self, claims: LaneClaims, held: frozenset[int]) -> None:
        if held != self.held:
            log.info(
                "outbox relay %s: holds lanes %s of %d (%d relay(s))",
                self._schema, sorted(held) or "none", self.lanes, claims.relays,
            )  # fmt: skip
            for lane in range(self.lanes):
                metrics.OUTBOX_LANE_HELD.labels(self._schema, str(lane)).set(lane in held)
        self.held = held

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait(
            {waiter, stopper}, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        stopper.cancel()

    async def relay_batch(self, conn: asyncpg.Connection, lanes: Collection[int]) -> int:
        """Send one batch of ``lanes`` in id order and delete it once the broker
        acknowledged all of it."""
        if len(lanes) == self.lanes:  # all of them: no filter to evaluate
            query = f"SELECT {_COLUMNS} FROM {self._schema}.outbox ORDER BY outbox_id LIMIT $1"  # noqa: S608
            rows = await conn.fetch(query, self._batch_size)
        else:
            query = (
                f"SELECT {_COLUMNS} FROM {self._schema}.outbox"  # noqa: S608
                " WHERE lane_hash % $2 = ANY($3::int[]) ORDER BY outbox_id LIMIT $1"
            )
            rows = await conn.fetch(query, self._batch_size, self.lanes, sorted(lanes))
        if not rows:
            return 0
        deliveries = [await self._send(row) for row in rows]
        await asyncio.gather(*deliveries)
        await conn.execute(
            f"DELETE FROM {self._schema}.outbox WHERE outbox_id = ANY($1::bigint[])",  # noqa: S608
            [row["outbox_id"] for row in rows],
        )
        self.published += len(rows)
        _count(self._schema, rows)
        return len(rows)

    async def _send(self, row: asyncpg.Record) -> "asyncio.Future[Any]":
        """Enqueue one row; its ``traceparent`` (the request or message that wrote it)
        becomes the parent of a publish span whose context goes out in the headers. A
        row with a ``ce_id`` gets its per-message CloudEvents headers from its columns
        (:mod:`jobline_infra.cloud_events`; the shared ones are in its ``headers``)."""
        topic, traceparent = row["topic"], row["traceparent"]
        if not tracing.enabled():
            # No span is recorded: the stored trace context goes out as it is, which is
            # what a no-op span would inject, without its ~10 µs a row.
            headers = _headers(row["headers"], traceparent, row["ce_id"])
            if row["ce_id"] is not None:
                headers += cloud_events.per_message(row["ce_id"], row["ce_time"], row["ce_subject"])
            sent: asyncio.Future[Any] = await self._producer.send(
                self._topic(topic), value=row["value"], key=row["key"], headers=headers
            )
            return sent
        carried: dict[str, str] = json.loads(row["headers"])
        with tracing.continued(
            f"{topic} publish",
            traceparent,
            SpanKind.PRODUCER,
            **{"messaging.system": "kafka", "messaging.destination.name": topic},
        ):
            if traceparent:
                tracing.inject(carried)
            headers = [(k, v.encode()) for k, v in carried.items()]
            if row["ce_id"] is not None:
                headers += cloud_events.per_message(row["ce_id"], row["ce_time"], row["ce_subject"])
            future: asyncio.Future[Any] = await self._producer.send(
                self._topic(topic), value=row["value"], key=row["key"], headers=headers
            )
        return future

    def _topic(self, topic: str) -> str:
        """Under the prefix, if any; dead letters already name their (prefixed) source."""
        prefix = self._topic_prefix
        return topic if not prefix or topic.startswith(prefix) else prefix + topic


@functools.lru_cache(maxsize=256)
def _shared_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v.encode()) for k, v in json.loads(text).items())


def _headers(text: str, traceparent: str | None, ce_id: str | None) -> list[tuple[str, bytes]]:
    """A row's headers as Kafka takes them. Rows of one message type share theirs, parsed
    once (a row with a CloudEvents id is such a row); a dead letter's carry its reason and
    are parsed each time (never cached)."""
    if ce_id is not None or len(text) <= _SHARED_HEADERS_MAX:
        headers = list(_shared_headers(text))
    else:
        headers = [(k, v.encode()) for k, v in json.loads(text).items()]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


def _count(outbox: str, rows: list[asyncpg.Record]) -> None:
    for topic, published in Counter(row["topic"] for row in rows).items():
        metrics.OUTBOX_PUBLISHED.labels(outbox, topic).inc(published)
    for row in rows:
        if row["topic"].endswith(DLQ_SUFFIX):
            kind = json.loads(row["headers"]).get("x-dlq-kind", "unknown")
            metrics.dead_lettered(row["topic"].removesuffix(DLQ_SUFFIX), kind)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()

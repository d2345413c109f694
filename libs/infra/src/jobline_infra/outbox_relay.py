"""The outbox relay: publishes committed outbox rows to Kafka in id order, then deletes them.

One relay is active at a time (a session advisory lock), so per-key order holds across
replicas. It wakes on NOTIFY and also polls, so a missed notification only delays.
A crash after sending and before deleting republishes a batch: at-least-once, and
consumers deduplicate on message_id.
"""

import asyncio
import contextlib
import json
import logging
from collections import Counter
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind

from jobline_contracts.topics import DLQ_SUFFIX
from jobline_infra.observability import metrics, tracing

log = logging.getLogger(__name__)


class OutboxRelay:
    """Relays ``<schema>.outbox`` (columns outbox_id, topic, key, value, headers,
    traceparent), woken by NOTIFY on ``channel``; ``lock_id`` elects one relay per service."""

    def __init__(
        self,
        dsn: str,
        producer: AIOKafkaProducer,
        *,
        schema: str,
        channel: str,
        lock_id: int,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        topic_prefix: str = "",
    ) -> None:
        self._schema, self._channel, self._lock_id = schema, channel, lock_id
        self._dsn = dsn
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._topic_prefix = topic_prefix
        self._wake = asyncio.Event()
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set, reconnecting after database or broker failures."""
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._lead_and_relay(stop)
                backoff = 0.2
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("outbox relay: %s; retrying in %.1fs", error, backoff)
                await _sleep_unless(stop, backoff)
                backoff = min(backoff * 2, 10.0)

    async def _lead_and_relay(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_id):
                if await _sleep_unless(stop, self._poll_interval * 2):
                    return
            await conn.add_listener(self._channel, lambda *_: self._wake.set())
            log.info("outbox relay: leading")
            while not stop.is_set():
                self._wake.clear()
                if await self.relay_batch(conn) == self._batch_size:
                    continue  # more may be waiting
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self._poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waiter.cancel()
                stopper.cancel()
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)

    async def relay_batch(self, conn: asyncpg.Connection) -> int:
        """Send one batch in id order and delete it once the broker acknowledged all of it."""
        rows = await conn.fetch(
            "SELECT outbox_id, topic, key, value, headers, traceparent"  # noqa: S608
            f" FROM {self._schema}.outbox ORDER BY outbox_id LIMIT $1",
            self._batch_size,
        )
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
        becomes the parent of a publish span whose context goes out in the headers."""
        headers: dict[str, str] = json.loads(row["headers"])
        with tracing.continued(
            f"{row['topic']} publish",
            row["traceparent"],
            SpanKind.PRODUCER,
            **{"messaging.system": "kafka", "messaging.destination.name": row["topic"]},
        ):
            if row["traceparent"]:
                tracing.inject(headers)
            future: asyncio.Future[Any] = await self._producer.send(
                self._topic(row["topic"]),
                value=row["value"],
                key=row["key"],
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
        return future

    def _topic(self, topic: str) -> str:
        """Under the prefix, if any; dead letters already name their (prefixed) source."""
        prefix = self._topic_prefix
        return topic if not prefix or topic.startswith(prefix) else prefix + topic


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

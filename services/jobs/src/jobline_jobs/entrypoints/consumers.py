"""Kafka subscribers of the jobs service: the message bus behind the consumer edge.

The edge (jobline_infra.consuming) decodes each record once, dead-letters what is no
message of its topic, retries database outages with backoff (past the budget the record
is redelivered) and dead-letters a message that keeps crashing the handler, so it never
blocks its partition. The bus records a domain refusal and its dead letter in the
message's own transaction. Offsets are committed only after the bus committed the effect
(or a dead letter was written).

The dispatch facts come in batches: one poll's facts through ``handle_batch`` in one
transaction. If that fails for another reason than an outage (a refusal, a crash), it
changed nothing; the fallback hook (:func:`fell_back`: a WARNING with the cause, and
``jobline_batch_fallbacks_total{reason}``) is told why and the facts are applied one by
one, exactly as the per-message subscriber does.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from faststream.kafka import KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import TopicSpec
from jobline_infra import consuming
from jobline_infra.consuming import ConsumerEdge, Fallback, Received, RetryPolicy
from jobline_infra.dead_letters import DeadLetters, Sender
from jobline_infra.observability.metrics import batch_fell_back
from jobline_infra.observability.tracing import sent_traceparent
from jobline_jobs.config import Settings
from jobline_jobs.domain.commands import Command
from jobline_jobs.service_layer.batches import BatchAborted, BatchFactory, handle_batch
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

log = logging.getLogger(__name__)

Translate = Callable[[Envelope[Any]], Command]


def utc_now() -> datetime:
    return datetime.now(UTC)


# Failures of the infrastructure, not of the message: waiting helps.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)


class TopicConsumer:
    """Applies the messages of one topic through the bus, exactly once in effect."""

    def __init__(
        self,
        spec: TopicSpec,
        name: str,
        translate: Translate,
        bus: MessageBus,
        producer: Sender,
        *,
        actor: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.spec, self.name, self._translate, self._actor = spec, name, translate, actor
        self._clock = clock  # Jobline's time of the changes it handles
        self._bus = bus
        self.dead_letters = DeadLetters(producer, name)

    async def handle(self, received: Received) -> None:
        await self._bus.handle(*self.command(received))

    def command(self, received: Received) -> tuple[Command, Causation]:
        envelope, record = received.envelope, received.record
        source = SourceMessage(
            record.topic, record.partition, record.offset, record.key, record.value or b""
        )
        causation = Causation(
            consumer=self.name,
            message_id=envelope.message_id,
            message_type=envelope.type,
            correlation_id=envelope.correlation_id,
            occurred_at=envelope.occurred_at,
            actor=self._actor,
            source=source,
            recorded_at=self._clock(),
            source_occurred_at=envelope.occurred_at,
            traceparent=sent_traceparent(record.headers or ()),
        )
        return self._translate(envelope), causation


def subscribe(
    router: KafkaRouter, consumer: TopicConsumer, settings: Settings, group_suffix: str = ""
) -> LogicSubscriber[Any]:
    """Register ``consumer`` on ``router``; returns the subscriber (its consumer shows the
    partitions assigned, which readiness reports). One consumer group per topic keeps
    each group's subscription uniform."""
    edge = ConsumerEdge(
        consumer.spec, consumer.handle, consumer.dead_letters, RetryPolicy(TRANSIENT_ERRORS)
    )
    return consuming.subscribe(
        router,
        edge,
        group_id=settings.consumer_group + group_suffix,
        auto_offset_reset=settings.auto_offset_reset,
    )


def fell_back(error: BaseException, batch: Sequence[Received]) -> None:
    """The jobs' fallback hook: a batch applied one by one instead is worth a WARNING
    with its cause, and a count by reason (``jobline_batch_fallbacks_total``)."""
    reason = error.reason if isinstance(error, BatchAborted) else "error"  # refused, conflict
    log.warning("batch of %d applied one by one (%s): %r", len(batch), reason, error)
    batch_fell_back(reason)


def batch_edge(
    consumer: TopicConsumer, batches: BatchFactory, on_fallback: Fallback = fell_back
) -> ConsumerEdge:
    """The edge of ``consumer`` in batch mode: a poll's messages through ``handle_batch``
    in one transaction, one by one when that fails (``on_fallback`` hears of it)."""

    async def handle_many(received: Sequence[Received]) -> None:
        await handle_batch(batches, [consumer.command(one) for one in received])

    return ConsumerEdge(
        consumer.spec,
        consumer.handle,
        consumer.dead_letters,
        RetryPolicy(TRANSIENT_ERRORS),
        handle_batch=handle_many,
        on_fallback=on_fallback,
    )


def subscribe_batches(
    router: KafkaRouter,
    consumer: TopicConsumer,
    settings: Settings,
    batches: BatchFactory,
    on_fallback: Fallback = fell_back,
) -> LogicSubscriber[Any]:
    """Register ``consumer`` on ``router`` as a batch subscriber (see the module and
    :func:`batch_edge`)."""
    return consuming.subscribe_batches(
        router,
        batch_edge(consumer, batches, on_fallback),
        group_id=settings.consumer_group,
        auto_offset_reset=settings.auto_offset_reset,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
    )

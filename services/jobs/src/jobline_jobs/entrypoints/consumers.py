"""Kafka subscribers of the jobs service: decode, translate, hand to the bus.

Offsets are committed only after the bus committed the effect (or dead-lettered the
message). Undecodable messages are dead-lettered at once; database outages are retried
with backoff and, past that, redelivered; a message that keeps crashing the handler is
dead-lettered after a few attempts so it never blocks its partition.
"""

import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import DefaultSubscriber

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import TopicSpec
from jobline_infra.observability.logging import bound
from jobline_infra.observability.metrics import dead_lettered
from jobline_infra.retrying import GaveUp, retrying
from jobline_jobs.config import Settings
from jobline_jobs.domain.commands import Command
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

log = logging.getLogger(__name__)

Translate = Callable[[Envelope[Any]], Command]

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


class MessageConsumer:
    """Applies the messages of one topic through the bus, exactly once in effect."""

    def __init__(
        self,
        spec: TopicSpec,
        name: str,
        translate: Translate,
        bus: MessageBus,
        producer: AIOKafkaProducer,
        *,
        actor: str,
        max_handler_attempts: int = 3,
        max_transient_wait: float = 60.0,
    ) -> None:
        self.spec, self.name, self._translate, self._actor = spec, name, translate, actor
        self._bus = bus
        self._producer = producer
        self._max_handler_attempts = max_handler_attempts
        self._max_transient_wait = max_transient_wait

    async def handle(self, record: ConsumerRecord[Any, Any]) -> Outcome:
        source = SourceMessage(
            record.topic, record.partition, record.offset, record.key, record.value or b""
        )
        try:
            envelope = decode(self.spec, source.value)
        except UndecodableMessage as bad:
            await self._dead_letter(source, bad.kind, bad.reason)
            return Outcome.REJECTED
        causation = Causation(
            consumer=self.name,
            message_id=envelope.message_id,
            message_type=envelope.type,
            correlation_id=envelope.correlation_id,
            occurred_at=envelope.occurred_at,
            actor=self._actor,
            source=source,
        )
        ids = {
            "correlation_id": str(envelope.correlation_id),
            "message_id": str(causation.message_id),
        }
        with bound(**ids):
            return await self._apply(self._translate(envelope), causation, source)

    async def _apply(
        self, command: Command, causation: Causation, source: SourceMessage
    ) -> Outcome:
        try:
            return await retrying(
                lambda: self._bus.handle(command, causation),
                transient=TRANSIENT_ERRORS,
                label=causation.message_id,
                max_crashes=self._max_handler_attempts,
                max_transient_wait=self._max_transient_wait,
            )
        except GaveUp as gave_up:
            await self._dead_letter(source, "handler_error", gave_up.reason)
            return Outcome.REJECTED

    async def _dead_letter(self, source: SourceMessage, kind: str, reason: str) -> None:
        log.warning(
            "dead-lettering %s[%d]@%d: %s", source.topic, source.partition, source.offset, reason
        )
        headers = [
            ("x-dlq-kind", kind.encode()),
            ("x-dlq-reason", reason.encode()),
            ("x-dlq-consumer", self.name.encode()),
            ("x-original-topic", source.topic.encode()),
            ("x-original-partition", str(source.partition).encode()),
            ("x-original-offset", str(source.offset).encode()),
        ]
        await self._producer.send_and_wait(
            self.spec.dlq, value=source.value, key=source.key, headers=headers
        )
        dead_lettered(source.topic, kind)


def subscribe(
    broker: KafkaBroker, consumer: MessageConsumer, settings: Settings, group_suffix: str = ""
) -> DefaultSubscriber:
    """Register ``consumer`` on ``broker``; returns the subscriber (its consumer shows the
    partitions assigned, which readiness reports). One consumer group per topic keeps
    each group's subscription uniform."""
    subscriber = broker.subscriber(
        consumer.spec.name,
        group_id=settings.consumer_group + group_suffix,
        auto_offset_reset=settings.auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )

    @subscriber
    async def on_message(message: KafkaMessage) -> None:
        await consumer.handle(message.raw_message)

    return subscriber

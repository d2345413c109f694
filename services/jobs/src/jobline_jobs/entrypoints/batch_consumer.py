"""The dispatch-facts subscriber in batches: many facts, one transaction, one offset commit.

A batch (up to ``consumer_batch_size`` records from the partitions assigned, each
partition's records in offset order) is decoded first: an undecodable record is
dead-lettered at once and left out. The rest go through ``handle_batch`` in one
transaction. If that fails for any reason (a refusal, a crash, a database outage), it
changed nothing; the fallback is logged at WARNING and counted in
``jobline_batch_fallbacks_total{reason}``, and the same records are applied one by one
exactly as the per-message subscriber does: good ones land, a refused one is recorded
and dead-lettered, a crashing one is dead-lettered after its retries, and an outage is
retried with backoff (past the budget the error propagates and the batch is
redelivered). Offsets are committed when the handler returns, after every effect was
committed.
"""

import logging
from collections.abc import Sequence
from typing import Any, cast

from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import DefaultSubscriber

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.topics import TopicSpec
from jobline_infra.observability.metrics import batch_fell_back
from jobline_jobs.config import Settings
from jobline_jobs.domain.commands import Command
from jobline_jobs.entrypoints.consumers import TRANSIENT_ERRORS, MessageConsumer, Translate
from jobline_jobs.service_layer.batches import BatchAborted, BatchFactory, handle_batch
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

log = logging.getLogger(__name__)

Item = tuple[Command, Causation, SourceMessage]


class BatchMessageConsumer(MessageConsumer):
    """A :class:`MessageConsumer` that also takes its messages a batch at a time."""

    def __init__(
        self,
        spec: TopicSpec,
        name: str,
        translate: Translate,
        bus: MessageBus,
        producer: AIOKafkaProducer,
        *,
        actor: str,
        batches: BatchFactory,
    ) -> None:
        super().__init__(spec, name, translate, bus, producer, actor=actor)
        self._batches = batches

    async def handle_many(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        items = [item for record in records if (item := await self._decoded(record))]
        if not items:
            return
        try:
            await handle_batch(self._batches, [(command, cause) for command, cause, _ in items])
        except Exception as error:
            reason = _fallback_reason(error)
            log.warning("batch of %d applied one by one (%s): %r", len(items), reason, error)
            batch_fell_back(reason)
            for command, causation, source in items:
                await self._apply(command, causation, source)

    async def _decoded(self, record: ConsumerRecord[Any, Any]) -> Item | None:
        source = SourceMessage(
            record.topic, record.partition, record.offset, record.key, record.value or b""
        )
        try:
            envelope = decode(self.spec, source.value)
        except UndecodableMessage as bad:
            await self._dead_letter(source, bad.kind, bad.reason)
            return None
        causation = Causation(
            consumer=self.name,
            message_id=envelope.message_id,
            message_type=envelope.type,
            correlation_id=envelope.correlation_id,
            occurred_at=envelope.occurred_at,
            actor=self._actor,
            source=source,
        )
        return self._translate(envelope), causation, source


def _fallback_reason(error: Exception) -> str:
    """Why a batch fell back, in the metric's small vocabulary."""
    if isinstance(error, BatchAborted):
        return error.reason  # refused, conflict
    if isinstance(error, TRANSIENT_ERRORS):
        return "transient"
    return "error"


def subscribe_batches(
    broker: KafkaBroker, consumer: BatchMessageConsumer, settings: Settings
) -> DefaultSubscriber:
    """Register ``consumer`` on ``broker`` as a batch subscriber (see the module)."""
    subscriber = broker.subscriber(
        consumer.spec.name,
        group_id=settings.consumer_group,
        auto_offset_reset=settings.auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
    )

    @subscriber
    async def on_batch(message: KafkaMessage) -> None:
        await consumer.handle_many(cast(tuple[ConsumerRecord[Any, Any], ...], message.raw_message))

    # Readiness only asks its consumer for the partitions assigned, as of any subscriber.
    return cast(DefaultSubscriber, subscriber)

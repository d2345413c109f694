"""The Kafka subscriber on ``comms.commands.v1``: decode once, translate, take in.

The subscriber never calls a provider: it records the delivery (due now) and wakes the
dispatcher, so the offset is committed as soon as the delivery is safely recorded
and a slow or failing provider never blocks a partition. Undecodable commands are
dead-lettered at once. A database outage is retried with backoff and, past that, the
message is redelivered; a command that keeps crashing the handler is dead-lettered.
"""

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

import asyncpg
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber

from jobline_comms.entrypoints.translate import causation_of, to_command
from jobline_comms.service_layer.handlers import Services, accept_deliveries
from jobline_comms.service_layer.ports import Admission, Incoming, Received
from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import COMMS_COMMANDS
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.observability.tracing import received
from jobline_infra.retrying import GaveUp, retrying

log = logging.getLogger(__name__)

# Failures of the infrastructure, not of the command: waiting helps.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
)


class CommandConsumer:
    """Handles the send commands of one subscriber."""

    def __init__(
        self,
        services: Services,
        dead_letters: DeadLetters,
        wake: Callable[[], None],
        *,
        max_handler_attempts: int = 3,
        max_transient_wait: float = 60.0,
    ) -> None:
        self._services, self._dead_letters, self._wake = services, dead_letters, wake
        self._max_handler_attempts = max_handler_attempts
        self._max_transient_wait = max_transient_wait

    async def handle(self, record: "ConsumerRecord[Any, Any]") -> None:
        try:
            envelope = decode(COMMS_COMMANDS, record.value or b"")
        except UndecodableMessage as bad:
            await self._dead_letters.send(record, bad.kind, bad.reason)
            return
        received = _received(envelope, record)
        try:
            (admission,) = await retrying(
                lambda: accept_deliveries([received], self._services),
                transient=TRANSIENT_ERRORS,
                label=received.causation.message_id,
                max_crashes=self._max_handler_attempts,
                max_transient_wait=self._max_transient_wait,
            )
        except GaveUp as gave_up:
            await self._dead_letters.send(record, "handler_error", gave_up.reason)
            return
        if admission is Admission.NEW:
            self._wake()

    async def handle_batch(self, records: "Sequence[ConsumerRecord[Any, Any]]") -> None:
        """A batch from one poll: the decodable ones recorded in one transaction, then the
        undecodable ones dead-lettered. If recording keeps failing for another reason than
        the infrastructure, each is handled on its own, so only a poison command is
        dead-lettered."""
        batch: list[Received] = []
        decoded: list[ConsumerRecord[Any, Any]] = []
        undecodable: list[tuple[ConsumerRecord[Any, Any], UndecodableMessage]] = []
        for record in records:
            try:
                envelope = decode(COMMS_COMMANDS, record.value or b"")
            except UndecodableMessage as bad:
                undecodable.append((record, bad))
                continue
            decoded.append(record)
            batch.append(_received(envelope, record))
        if batch:
            await self._accept_batch(batch, decoded)
        for record, why in undecodable:
            await self._dead_letters.send(record, why.kind, why.reason)

    async def _accept_batch(
        self, batch: list[Received], records: "list[ConsumerRecord[Any, Any]]"
    ) -> None:
        try:
            admissions = await retrying(
                lambda: accept_deliveries(batch, self._services),
                transient=TRANSIENT_ERRORS,
                label=f"a batch of {len(batch)} commands",
                max_crashes=1,
                max_transient_wait=self._max_transient_wait,
            )
        except GaveUp:
            for record in records:
                await self.handle(record)
            return
        if Admission.NEW in admissions:
            self._wake()


def _received(envelope: Envelope[Any], record: "ConsumerRecord[Any, Any]") -> Received:
    """The command as intake takes it: the one decode of its envelope."""
    return Received(to_command(envelope), causation_of(envelope), _incoming(record))


def _incoming(record: "ConsumerRecord[Any, Any]") -> Incoming:
    """What is kept of the record, to dead-letter the command unchanged later."""
    return Incoming(
        record.value,
        record.key,
        record.topic,
        record.partition,
        record.offset,
        received(record.topic, record.headers),
    )


def subscribe(
    broker: KafkaBroker,
    consumer: CommandConsumer,
    *,
    group_id: str,
    auto_offset_reset: Literal["earliest", "latest"],
    max_batch: int = 500,
    topic: str = COMMS_COMMANDS.name,
) -> BatchSubscriber:
    """Register ``consumer`` on ``broker``, in consumer group ``group_id``: worker
    processes of one group share the partitions."""
    subscriber = broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        # Whatever one poll returns, recorded in one transaction and committed at once:
        # one command per transaction and per offset commit capped a worker near 100/s.
        batch=True,
        max_records=max_batch,
        batch_timeout_ms=200,
    )

    @subscriber
    async def on_send_commands(message: KafkaMessage) -> None:
        await consumer.handle_batch(message.raw_message)

    return subscriber

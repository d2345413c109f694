"""The Kafka subscriber on ``invoicing.commands.v1``: decode, translate, handle, commit.

The offset is committed once the outcome is published. Undecodable commands are
dead-lettered at once; a render failure is an outcome (``invoice.render_failed``), not
an error. Blob-store and Kafka outages are retried with backoff and, past that, the
message is redelivered; a command that keeps crashing the handler is dead-lettered after
a few attempts, so it never blocks its partition. Redelivery is harmless: the content
address makes a second handling report the stored PDF without drawing it again.
"""

import logging
from typing import Any, Literal

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import DefaultSubscriber
from obstore.exceptions import BaseError as BlobStoreError

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.topics import INVOICING_COMMANDS
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.retrying import GaveUp, retrying
from jobline_invoicing.entrypoints.translate import causation_of, to_command
from jobline_invoicing.service_layer.handlers import Services, render_invoice

log = logging.getLogger(__name__)

# Failures of the infrastructure, not of the command: waiting helps.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    BlobStoreError,
)


class CommandConsumer:
    """Handles the render commands of one subscriber."""

    def __init__(
        self,
        services: Services,
        dead_letters: DeadLetters,
        *,
        max_handler_attempts: int = 3,
        max_transient_wait: float = 60.0,
    ) -> None:
        self._services, self._dead_letters = services, dead_letters
        self._max_handler_attempts = max_handler_attempts
        self._max_transient_wait = max_transient_wait

    async def handle(self, record: "ConsumerRecord[Any, Any]") -> None:
        try:
            envelope = decode(INVOICING_COMMANDS, record.value or b"")
        except UndecodableMessage as bad:
            await self._dead_letters.send(record, bad.kind, bad.reason)
            return
        command, causation = to_command(envelope), causation_of(envelope)
        try:
            await retrying(
                lambda: render_invoice(command, causation, self._services),
                transient=TRANSIENT_ERRORS,
                label=causation.message_id,
                max_crashes=self._max_handler_attempts,
                max_transient_wait=self._max_transient_wait,
            )
        except GaveUp as gave_up:
            await self._dead_letters.send(record, "handler_error", gave_up.reason)


def subscribe(
    broker: KafkaBroker,
    consumer: CommandConsumer,
    *,
    group_id: str,
    auto_offset_reset: Literal["earliest", "latest"],
    concurrency: int,
) -> DefaultSubscriber:
    """Register ``consumer`` on ``broker``. With ``concurrency`` > 1 the subscriber runs
    that many Kafka consumers in the group, each on its own partitions (offsets stay
    committed in order per partition), so as many renders run as there are workers."""
    subscriber = broker.subscriber(
        INVOICING_COMMANDS.name,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_workers=concurrency,
    )

    @subscriber
    async def on_render_invoice(message: KafkaMessage) -> None:
        await consumer.handle(message.raw_message)

    return subscriber

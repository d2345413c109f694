"""The Kafka subscriber on ``comms.commands.v1``, on the consumer edge of jobline_infra.

The subscriber never calls a provider: it records the delivery (due now) and wakes the
dispatcher, so the offset is committed as soon as the delivery is safely recorded
and a slow or failing provider never blocks a partition. The edge decodes each command
once and dead-letters the undecodable; whatever one poll returns is taken in in one
transaction, a database outage retried with backoff (past that, redelivered), and a
batch that keeps failing otherwise is taken in one command at a time, so only a poison
command is dead-lettered. A command naming another tenant's delivery id is dead-lettered
too (``foreign_reference``), after its batch commits without it: it changes nothing, and
if it comes again it is dead-lettered again.
"""

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_comms.domain.delivery import foreign_reason
from jobline_comms.entrypoints.translate import causation_of, to_command
from jobline_comms.service_layer.handlers import Services, accept_deliveries
from jobline_comms.service_layer.ports import Admission, Incoming, Received
from jobline_contracts.dead_letter_kinds import DlqKind
from jobline_contracts.topics import COMMS_COMMANDS, TopicSpec
from jobline_infra import consuming
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.observability.tracing import received

FOREIGN_REFERENCE = DlqKind.FOREIGN_REFERENCE  # the dead letter's kind: another tenant's delivery

# Failures of the infrastructure, not of the command: waiting helps.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
)


def subscribe(
    router: KafkaRouter,
    services: Services,
    dead_letters: DeadLetters,
    wake: Callable[[], None],
    *,
    group_id: str,
    auto_offset_reset: consuming.OffsetReset,
    max_batch: int = 500,
    spec: TopicSpec = COMMS_COMMANDS,
) -> LogicSubscriber[Any]:
    """Register the send-command subscriber on ``router``, in consumer group ``group_id``:
    worker processes of one group share the partitions. Whatever one poll returns is
    recorded in one transaction and committed at once: one command per transaction and
    per offset commit capped a worker near 100/s."""

    async def take_in(batch: Sequence[consuming.Received]) -> None:
        received = [_intake(one) for one in batch]
        admissions = await accept_deliveries(received, services)
        for one, taken, admission in zip(batch, received, admissions, strict=True):
            if admission is Admission.FOREIGN:
                reason = foreign_reason(taken.cmd.delivery_id)
                await dead_letters.send(one.record, FOREIGN_REFERENCE, reason)
        if Admission.NEW in admissions:
            wake()

    async def take_in_one(one: consuming.Received) -> None:
        await take_in([one])

    edge = consuming.ConsumerEdge(
        spec,
        take_in_one,
        dead_letters,
        consuming.RetryPolicy(TRANSIENT_ERRORS),
        handle_batch=take_in,
    )
    return consuming.subscribe_batches(
        router,
        edge,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        max_records=max_batch,
    )


def _intake(one: consuming.Received) -> Received:
    """The command as intake takes it: the edge's one decode of its envelope."""
    envelope = one.envelope
    return Received(to_command(envelope), causation_of(envelope), _incoming(one.record))


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

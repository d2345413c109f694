"""Dead-lettering a poison message: its bytes and key unchanged, the reason in headers.

:func:`dead_letter_headers` is the one place that says what a dead letter's headers are:
:class:`DeadLetters` sends them straight to Kafka, and a service that dead-letters in its
own transaction (through its outbox) writes the same headers there.
"""

import logging
from collections.abc import Sequence
from typing import Protocol

from jobline_contracts.topics import DLQ_SUFFIX
from jobline_infra.observability.metrics import dead_lettered

log = logging.getLogger(__name__)


class Position(Protocol):
    """Where in Kafka a consumed message was."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


class Origin(Position, Protocol):
    """A consumed message, where it was and what it was: a ``ConsumerRecord`` is one."""

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class Sender(Protocol):
    """What sends a dead letter: an ``AIOKafkaProducer`` is one."""

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> object: ...


def dead_letter_headers(origin: Position, consumer: str, kind: str, reason: str) -> dict[str, str]:
    """``x-dlq-kind``, ``x-dlq-reason``, ``x-dlq-consumer`` (the group that gave up) and
    ``x-original-topic/partition/offset``, as documented in docs/asyncapi.yaml."""
    return {
        "x-dlq-kind": kind,
        "x-dlq-reason": reason,
        "x-dlq-consumer": consumer,
        "x-original-topic": origin.topic,
        "x-original-partition": str(origin.partition),
        "x-original-offset": str(origin.offset),
    }


class DeadLetters:
    """Sends messages that cannot be processed to ``<topic>.dlq``, naming the consumer
    (group) that gave up on them."""

    def __init__(self, producer: Sender, consumer_name: str) -> None:
        self._producer, self._consumer_name = producer, consumer_name

    async def send(self, record: Origin, kind: str, reason: str) -> None:
        """Dead-letter ``record`` with ``x-dlq-*`` and ``x-original-*`` headers."""
        log.warning(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        headers = dead_letter_headers(record, self._consumer_name, kind, reason)
        await self._producer.send_and_wait(
            record.topic + DLQ_SUFFIX,
            value=record.value,
            key=record.key,
            headers=[(name, value.encode()) for name, value in headers.items()],
        )
        dead_lettered(record.topic, kind)

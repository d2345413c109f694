"""Dead-lettering a poison message: its bytes and key unchanged, the reason in headers.

:func:`dead_letter` is the one place that says what a dead letter is: :class:`DeadLetters`
sends it straight to Kafka, and a service that dead-letters in its own transaction
(through its outbox) writes the same bytes and headers there.

A poison message can be as large as the broker allows, and a dead letter adds headers to
it: sent whole it would exceed the broker's limit, be refused, and its original come
again for ever. So a dead letter keeps at most ``MAX_DEAD_LETTER_BYTES`` of the original's
value and key, and says when it was cut, with the original's size and sha256 (its full
bytes stay at the original offset until retention). The reason is cut to
``MAX_REASON_CHARS``: it may quote what a stranger wrote.
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
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


# The broker's default limit (message.max.bytes) is 1 MiB for a whole record batch; a cut
# dead letter leaves room for its headers and the batch's own framing.
MAX_DEAD_LETTER_BYTES = 900 * 1024
MAX_KEY_BYTES = 1024
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class DeadLetter:
    """What goes to ``<topic>.dlq``: the original's key and value (cut if too large) and
    the headers that say why and where it came from."""

    key: bytes | None
    value: bytes | None
    headers: dict[str, str]


def dead_letter(origin: Origin, consumer: str, kind: str, reason: str) -> DeadLetter:
    """``x-dlq-kind``, ``x-dlq-reason``, ``x-dlq-consumer`` (the group that gave up) and
    ``x-original-topic/partition/offset``, as documented in docs/asyncapi.yaml; and, when
    the original did not fit, ``x-original-size`` and ``x-original-sha256`` of its value
    (``x-original-key-sha256`` of an oversized key)."""
    headers = {
        "x-dlq-kind": kind,
        "x-dlq-reason": bounded(reason),
        "x-dlq-consumer": consumer,
        "x-original-topic": origin.topic,
        "x-original-partition": str(origin.partition),
        "x-original-offset": str(origin.offset),
    }
    key, value = origin.key, origin.value
    if key is not None and len(key) > MAX_KEY_BYTES:
        headers["x-original-key-sha256"] = hashlib.sha256(key).hexdigest()
        key = key[:MAX_KEY_BYTES]
    if value is not None and len(value) > MAX_DEAD_LETTER_BYTES:
        headers["x-original-size"] = str(len(value))
        headers["x-original-sha256"] = hashlib.sha256(value).hexdigest()
        value = value[:MAX_DEAD_LETTER_BYTES]
    return DeadLetter(key, value, headers)


def bounded(reason: str) -> str:
    """``reason``, or its head and how long it was."""
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return f"{reason[:MAX_REASON_CHARS]}… [cut: {len(reason)} characters]"


class DeadLetters:
    """Sends messages that cannot be processed to ``<topic>.dlq``, naming the consumer
    (group) that gave up on them."""

    def __init__(self, producer: Sender, consumer_name: str) -> None:
        self._producer, self._consumer_name = producer, consumer_name

    async def send(self, record: Origin, kind: str, reason: str) -> None:
        """Dead-letter ``record`` with ``x-dlq-*`` and ``x-original-*`` headers."""
        letter = dead_letter(record, self._consumer_name, kind, reason)
        log.warning(
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            letter.headers["x-dlq-reason"],
        )
        await self._producer.send_and_wait(
            record.topic + DLQ_SUFFIX,
            value=letter.value,
            key=letter.key,
            headers=[(name, value.encode()) for name, value in letter.headers.items()],
        )
        dead_lettered(record.topic, kind)

"""A dead letter as an operator sees it: where it sits, why it is there, what it carries.

Pure: built from a record's fields, no Kafka client here.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobline_contracts.dead_letter_kinds import JOBS_REFUSALS, DlqKind
from jobline_contracts.topics import DLQ_SUFFIX

# Kinds the jobs consumer commits as handled (its domain refusals): the message id is
# claimed with outcome 'rejected', so replaying it unchanged is a no-op by design; replay
# it with a fresh message id (``--fresh-id``) once the cause is fixed.
CLAIMED_KINDS: frozenset[str] = JOBS_REFUSALS

# comms gave up on a delivery: its ledger refuses a second provider call for that delivery
# id whatever the message id, so a replay never texts or emails anyone again.
DELIVERY_KINDS: frozenset[str] = frozenset({DlqKind.RETRIES_EXHAUSTED})


def dlq_name(topic: str) -> str:
    """``dispatch.events.v1`` or ``dispatch.events.v1.dlq`` → the dead-letter topic."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


@dataclass(frozen=True)
class DeadLetter:
    """One record of a ``<topic>.dlq`` topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        """The last value of header ``name``, decoded (replacement chars for bad bytes)."""
        found = [v for k, v in self.headers if k == name]
        return found[-1].decode(errors="replace") if found else None

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def kind(self) -> str:
        return self.header("x-dlq-kind") or "?"

    @property
    def reason(self) -> str:
        return self.header("x-dlq-reason") or ""

    @property
    def original_topic(self) -> str:
        """Where it came from: its header, else the DLQ's name without ``.dlq``."""
        return self.header("x-original-topic") or self.topic.removesuffix(DLQ_SUFFIX)

    @property
    def original_partition(self) -> int | None:
        value = self.header("x-original-partition")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def when(self) -> datetime:
        """When it was dead-lettered (the DLQ record's timestamp)."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    @property
    def envelope(self) -> dict[str, Any] | None:
        """The message as a JSON object, when it is one."""
        try:
            data = json.loads(self.value)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def message_type(self) -> str | None:
        return _text(self.envelope, "type")

    @property
    def message_id(self) -> str | None:
        return _text(self.envelope, "message_id")

    @property
    def key_text(self) -> str:
        return "" if self.key is None else self.key.decode(errors="replace")


def _text(data: dict[str, Any] | None, field: str) -> str | None:
    value = None if data is None else data.get(field)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Selection:
    """Which dead letters of a topic an operator means: filters, then an offset range."""

    partition: int | None = None
    first: int | None = None  # inclusive
    last: int | None = None  # inclusive
    kind: str | None = None
    key: str | None = None

    def __call__(self, letter: DeadLetter) -> bool:
        return (
            (self.partition is None or letter.partition == self.partition)
            and (self.first is None or letter.offset >= self.first)
            and (self.last is None or letter.offset <= self.last)
            and (self.kind is None or letter.kind == self.kind)
            and (self.key is None or letter.key_text == self.key)
        )

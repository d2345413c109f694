"""What replaying a dead letter publishes: the original bytes and key, back to the original
topic, with headers that say it is a replay and of what.

Replaying is safe to repeat: every Jobline consumer records ``(consumer, message_id)`` with
its effect, so a second copy of a message is a no-op (comms also refuses a second provider
call per delivery id). ``fresh_id`` gives the message a new id derived from the dead
letter's coordinates, the same id on every replay of that letter: consumers that claimed
the original id when they refused it apply the replay once, and only once.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from jobline_ops.dead_letters import DeadLetter

# Namespace of the ids ``fresh_id`` derives (uuid5 of the dead letter's coordinates).
REPLAY_NAMESPACE = uuid.UUID("6f1d7a9e-3c44-5b8e-9a51-0c2f7d4e8b13")


class CannotRefresh(ValueError):
    """``fresh_id`` needs a JSON envelope with a message id."""


@dataclass(frozen=True)
class Replay:
    """One record to publish."""

    topic: str
    partition: int | None
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    message_id: str | None


def replay_of(letter: DeadLetter, *, at: datetime, by: str, fresh_id: bool = False) -> Replay:
    """The record that puts ``letter`` back on its original topic."""
    value, message_id = letter.value, letter.message_id
    headers = [
        ("x-replayed-from", letter.ref.encode()),
        ("x-replayed-at", at.isoformat().encode()),
        ("x-replayed-by", by.encode()),
        ("x-replayed-dlq-kind", letter.kind.encode()),
    ]
    if fresh_id:
        envelope = letter.envelope
        if envelope is None or message_id is None:
            raise CannotRefresh(f"{letter.ref} is not an envelope with a message_id")
        message_id = str(uuid.uuid5(REPLAY_NAMESPACE, f"{message_id}@{letter.ref}"))
        headers.append(("x-replayed-original-message-id", envelope["message_id"].encode()))
        value = json.dumps({**envelope, "message_id": message_id}).encode()
    # Keyed records find their partition by key, as the original did; a keyless one
    # goes back to the partition it came from.
    partition = letter.original_partition if letter.key is None else None
    return Replay(letter.original_topic, partition, letter.key, value, tuple(headers), message_id)

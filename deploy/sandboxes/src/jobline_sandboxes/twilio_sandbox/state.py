"""What the sandbox remembers: every create request in arrival order, and the messages."""

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CallbackAttempt:
    """One status callback the sandbox posted, and what the receiver answered."""

    status: str
    answer_status: int | None  # None: the receiver could not be reached
    error: str | None = None


@dataclass
class ReceivedCreate:
    """One `POST .../Messages.json` as received, accepted or refused."""

    sid: str | None
    to: str
    from_: str
    body: str
    status_callback: str | None
    received_at: datetime
    answer_status: int | None = None  # set once the answer is decided
    callbacks: list[CallbackAttempt] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The row `GET /sandbox/messages` shows."""
        return {
            "sid": self.sid,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status_callback": self.status_callback,
            "received_at": self.received_at.isoformat(),
            "answer_status": self.answer_status,
            "callbacks": [asdict(attempt) for attempt in self.callbacks],
        }


@dataclass
class SandboxState:
    """In-memory; one sandbox process is one provider account."""

    received: list[ReceivedCreate] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # sid -> message JSON
    sends_per_number: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        """Forget everything, the per-number counters (429 number) included."""
        self.received.clear()
        self.messages.clear()
        self.sends_per_number.clear()

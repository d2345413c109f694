"""What the sandbox remembers: every Mail Send request in arrival order."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class EventPost:
    """One event the sandbox posted, and what the receiver answered."""

    event: dict[str, Any]
    answer_status: int | None  # None: the receiver could not be reached
    error: str | None = None
    attempts: int = 1  # posts until this answer (unreachable and 5xx are tried again)


@dataclass
class ReceivedSend:
    """One `POST /v3/mail/send` as received, accepted or refused."""

    message_id: str | None
    recipients: list[str]
    body: Any
    received_at: datetime
    answer_status: int | None = None
    eml: str | None = None  # the file in the mail folder, once accepted
    events: list[EventPost] = field(default_factory=list)
    # What has happened to the message so far, posted or not (the Email Activity API).
    happened: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The row `GET /sandbox/messages` shows."""
        body = self.body if isinstance(self.body, dict) else {}
        return {
            "message_id": self.message_id,
            "to": self.recipients,
            "from": (body.get("from") or {}).get("email"),
            "subject": body.get("subject"),
            "custom_args": body.get("custom_args") or {},
            "headers": body.get("headers") or {},
            "received_at": self.received_at.isoformat(),
            "answer_status": self.answer_status,
            "eml": self.eml,
            "events": [
                {
                    "event": p.event,
                    "answer_status": p.answer_status,
                    "error": p.error,
                    "attempts": p.attempts,
                }
                for p in self.events
            ],
        }


@dataclass
class SandboxState:
    """In-memory; one sandbox process is one SendGrid account."""

    received: list[ReceivedSend] = field(default_factory=list)
    sends_per_address: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        self.received.clear()
        self.sends_per_address.clear()

"""Recipient addresses with documented behaviour, and how a send request is judged. Pure.

By the local part's start (case-insensitive), like the SMTP catcher's ``bounce…``.
"""

from dataclasses import dataclass
from typing import Any, Final

BOUNCE: Final = "bounce"  # processed → bounce (550 5.1.1)
DROPPED: Final = "dropped"  # dropped (never processed)
DEFERRED: Final = "deferred"  # processed → deferred → delivered
OPENED: Final = "opened"  # processed → delivered → open
INVALID: Final = "invalid"  # 400 at send time
UNAVAILABLE: Final = "unavailable"  # 503 the first UNAVAILABLE_ATTEMPTS sends, then accepted
UNAVAILABLE_ATTEMPTS: Final = 2

BOUNCE_REASON: Final = "550 5.1.1 The email account that you tried to reach does not exist."
BOUNCE_STATUS: Final = "5.1.1"
DROPPED_REASON: Final = "Bounced Address"
DEFERRED_RESPONSE: Final = "451 4.3.0 try again later"


@dataclass(frozen=True)
class Refusal:
    """A v3 API error: the HTTP status and SendGrid's ``errors`` body."""

    http_status: int
    message: str
    field: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "field": self.field, "help": None}]}


def _local(address: str) -> str:
    return address.rpartition("@")[0].lower()


def judge_send(body: Any, earlier_sends: dict[str, int]) -> Refusal | None:  # noqa: ANN401 - JSON
    """The refusal a Mail Send request earns, or None when it is accepted. ``earlier_sends``
    counts the sends to each address received before this one."""
    if not isinstance(body, dict):
        return Refusal(400, "The request body must be a JSON object.")
    return _malformed(body) or _by_address(recipients_of(body), earlier_sends)


def _malformed(body: dict[str, Any]) -> Refusal | None:
    people = body.get("personalizations")
    if not isinstance(people, list) or not people:
        return Refusal(400, "The personalizations field is required.", "personalizations")
    if not isinstance(body.get("from"), dict) or not body["from"].get("email"):
        return Refusal(400, "The from object must be provided for every email send.", "from")
    if not body.get("subject") and not all(p.get("subject") for p in people):
        return Refusal(400, "The subject is required.", "subject")
    if not body.get("content"):
        return Refusal(400, "Unless a valid template_id is provided, content is required.")
    if not recipients_of(body):
        return Refusal(400, "The to array is required for all personalization objects.")
    return None


def _by_address(recipients: list[str], earlier_sends: dict[str, int]) -> Refusal | None:
    for address in recipients:
        if "@" not in address or _local(address).startswith(INVALID):
            return Refusal(400, "Does not contain a valid address.", "personalizations.0.to.0")
    for address in recipients:
        if _local(address).startswith(UNAVAILABLE) and (
            earlier_sends.get(address.lower(), 0) < UNAVAILABLE_ATTEMPTS
        ):
            return Refusal(503, "Service Unavailable")
    return None


def recipients_of(body: dict[str, Any]) -> list[str]:
    """Every ``to`` address of every personalization."""
    return [
        str(to.get("email", ""))
        for p in body.get("personalizations", [])
        if isinstance(p, dict)
        for to in p.get("to", [])
        if isinstance(to, dict)
    ]


def events_for(address: str) -> list[dict[str, Any]]:
    """The events an accepted message to ``address`` leads to, in order (without the
    fields every event carries)."""
    local = _local(address)
    if local.startswith(DROPPED):
        return [{"event": "dropped", "reason": DROPPED_REASON}]
    processed: dict[str, Any] = {"event": "processed"}
    delivered: dict[str, Any] = {"event": "delivered", "response": "250 OK"}
    if local.startswith(BOUNCE):
        bounce = {"event": "bounce", "reason": BOUNCE_REASON, "status": BOUNCE_STATUS}
        return [processed, bounce | {"type": "bounce"}]
    if local.startswith(DEFERRED):
        deferred = {"event": "deferred", "response": DEFERRED_RESPONSE, "attempt": "1"}
        return [processed, deferred, delivered]
    if local.startswith(OPENED):
        return [processed, delivered, {"event": "open", "useragent": "Sandbox/1.0"}]
    return [processed, delivered]

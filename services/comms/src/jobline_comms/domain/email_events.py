"""SendGrid's Event Webhook events, and what each says of a delivery. Pure.

One event is about one recipient of one message; each of our messages has one recipient
(one delivery), named by the custom arg ``delivery_id`` SendGrid copies into its events.

What each event means here (the contracts' statuses; no new value was needed):

- ``processed`` → ``sent`` (SendGrid took it; the send's answer already said so).
- ``delivered`` → ``delivered``; ``open`` and ``click`` → ``delivered`` as well: an opened
  email was delivered, and an ``open`` that overtakes its ``delivered`` lands the same.
- ``bounce`` (and its kind ``blocked``) → ``bounced``, with SendGrid's reason and the
  enhanced status code (``5.1.1``) as the error code.
- ``dropped`` → ``failed`` with error code ``dropped`` and SendGrid's reason ("Bounced
  Address", "Unsubscribed Address"…): SendGrid never tried to deliver it.
- ``deferred`` (the receiver said "try later"; SendGrid retries for up to 72 hours) and
  anything else → no change: interim, as Twilio's ``sending``.

Beside the status, ``open``/``click`` and ``deferred`` are the email's engagement
(:mod:`jobline_comms.domain.engagement`), dated by the event's own ``timestamp``.

Statuses only move forward (:meth:`Delivery.record_status`), so duplicates and events
out of order leave the first final status standing.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from jobline_comms.domain.model import DeliveryStatus

DELIVERY_ID_ARG = "delivery_id"
DROPPED = "dropped"
_ENHANCED_CODE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class EmailEvent:
    """One event as SendGrid posts it (the fields this service reads)."""

    event: str
    message_id: str  # the X-Message-Id the send was answered with
    delivery_id: UUID | None
    reason: str | None = None
    code: str | None = None
    at: datetime | None = None  # SendGrid's timestamp of the event


@dataclass(frozen=True)
class EmailReport:
    """What an event reports of its delivery: a status, with an error for the bad ones."""

    status: DeliveryStatus
    error_code: str | None = None
    error_message: str | None = None


def parse_event(raw: object) -> EmailEvent | None:
    """An event from the webhook's JSON array; None for what is not an event about one of
    our messages (no event name, or neither a delivery id nor a message id)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
        return None
    # sg_message_id is the X-Message-Id followed by ".filter…" and more.
    message_id = str(raw.get("sg_message_id") or "").partition(".")[0]
    delivery_id = _uuid(raw.get(DELIVERY_ID_ARG))
    if not message_id and delivery_id is None:
        return None
    reason = raw.get("reason") or raw.get("response")
    code = raw.get("status")
    return EmailEvent(
        raw["event"].strip().lower(),
        message_id,
        delivery_id,
        str(reason) if reason else None,
        str(code) if isinstance(code, str) and _ENHANCED_CODE.fullmatch(code) else None,
        _when(raw.get("timestamp")),
    )


def report_of(event: EmailEvent) -> EmailReport | None:
    """The delivery status ``event`` reports, or None for an interim one (deferred…)."""
    kind = event.event
    if kind == "processed":
        return EmailReport(DeliveryStatus.SENT)
    if kind in {"delivered", "open", "click"}:
        return EmailReport(DeliveryStatus.DELIVERED)
    if kind == "bounce":
        reason = event.reason or "bounced"
        return EmailReport(DeliveryStatus.BOUNCED, event.code or "bounce", reason)
    if kind == DROPPED:
        return EmailReport(DeliveryStatus.FAILED, DROPPED, event.reason or "dropped by SendGrid")
    return None


def history_event(message_id: str, raw: object) -> EmailEvent | None:
    """An event of a message's history as the Email Activity API gives it
    (``{"event_name": "bounced", "reason": …}``)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("event_name"), str):
        return None
    name = raw["event_name"].strip().lower()
    reason = str(raw.get("reason") or "") or None
    code = _ENHANCED_CODE.search(reason or "")
    return EmailEvent(
        "bounce" if name == "bounced" else name,
        message_id,
        None,
        reason,
        code.group(0) if code else None,
    )


def settled_by(events: Iterable[EmailEvent]) -> EmailReport | None:
    """What a message's history says of it: its first final event (the ledger would not
    let a later one move it), else ``sent`` once processed, else nothing yet."""
    reports = [r for r in map(report_of, events) if r is not None]
    final = [r for r in reports if r.status is not DeliveryStatus.SENT]
    return final[0] if final else (reports[-1] if reports else None)


def _when(value: object) -> datetime | None:
    """An event's ``timestamp`` (Unix seconds), or None if it has none that is one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None

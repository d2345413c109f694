"""Domain events → outbox rows: the one place they are mapped to wire messages (the
contracts' payloads on ``comms.events.v1``, an exhausted delivery's original command to
its dead-letter topic). Only the unit of work calls it, inside its transaction; the
relay publishes the rows once that transaction commits."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.events import (
    DeliveryDeadLettered,
    DeliveryStatusChanged,
    Event,
    RecipientOptedIn,
    RecipientOptedOut,
)
from jobline_contracts import comms as wire
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import COMMS_EVENTS, DLQ_SUFFIX
from jobline_infra.dead_letters import dead_letter
from jobline_infra.postgres import Connection

NOTIFY_CHANNEL = "comms_outbox"
RELAY_LOCK = 0x434D524C  # "CMRL": elects one relay among the comms processes

# An event, the command that caused it, and the trace of the call or request it came in.
Caused = tuple[Event, Causation, str | None]
Row = Mapping[str, Any]
_Message = tuple[str, bytes | None, bytes, str, str | None]  # topic, key, value, headers, trace


@dataclass(frozen=True)
class _Origin:
    """Where the delivery's command was consumed, and its bytes, as its ledger row keeps
    them."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def to_wire(event: DeliveryStatusChanged | RecipientOptedOut | RecipientOptedIn) -> Payload:
    """The contract payload of a domain event."""
    if isinstance(event, DeliveryStatusChanged):
        return wire.DeliveryStatusChanged(
            delivery_id=event.delivery_id,
            communication_id=event.communication_id,
            channel=event.channel.value,
            status=wire.DeliveryStatus(event.status.value),
            provider_message_id=event.provider_message_id,
            error_code=event.error_code,
            error_message=event.error_message,
        )
    if isinstance(event, RecipientOptedOut):
        return wire.RecipientOptedOut(phone=event.phone, keyword=event.keyword)
    return wire.RecipientOptedIn(phone=event.phone, keyword=event.keyword)


def key_of(event: DeliveryStatusChanged | RecipientOptedOut | RecipientOptedIn) -> str:
    """Status changes are keyed by delivery id, opt-outs/ins by phone number."""
    if isinstance(event, DeliveryStatusChanged):
        return str(event.delivery_id)
    return event.phone


async def write_events(conn: Connection, events: Sequence[Caused], consumer: str) -> None:
    """Add the messages ``events`` map to, in order: one insert, one notification."""
    if not events:
        return
    sources = await _dead_letter_sources(
        conn, [e.delivery_id for e, _, _ in events if isinstance(e, DeliveryDeadLettered)]
    )
    messages: list[_Message] = []
    for event, causation, traceparent in events:
        if isinstance(event, DeliveryDeadLettered):
            source = sources[event.delivery_id]
            messages.append(_dead_letter(source, event.reason, consumer, traceparent))
            continue
        envelope: Envelope[Any] = Envelope.wrap(
            to_wire(event),
            tenant_id=causation.tenant_id,
            correlation_id=causation.correlation_id,
            causation_id=causation.message_id,
        )
        messages.append(
            (COMMS_EVENTS.name, key_of(event).encode(), envelope.to_json(), "{}", traceparent)
        )
    # The notification rides on the insert; delivered at commit, it wakes the relay at
    # once instead of at its next poll.
    await conn.execute(
        "WITH added AS (INSERT INTO comms.outbox (topic, key, value, headers, traceparent)"
        " SELECT t, k, v, h::jsonb, tp"
        " FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[], $5::text[])"
        " WITH ORDINALITY AS e(t, k, v, h, tp, n) ORDER BY n RETURNING 1)"
        " SELECT pg_notify($6, '') FROM (SELECT FROM added LIMIT 1) AS any_added",
        *(list(column) for column in zip(*messages, strict=True)),
        NOTIFY_CHANNEL,
    )


async def _dead_letter_sources(conn: Connection, ids: list[UUID]) -> dict[UUID, Row]:
    if not ids:  # the usual case: no extra round trip
        return {}
    rows = await conn.fetch(
        "SELECT delivery_id, command, command_key, source_topic, source_partition,"
        " source_offset FROM comms.deliveries WHERE delivery_id = ANY($1::uuid[])",
        ids,
    )
    return {r["delivery_id"]: r for r in rows}


def _dead_letter(source: Row, reason: str, consumer: str, traceparent: str | None) -> _Message:
    """The delivery's original command, unchanged, for ``<topic>.dlq``, with the reason
    and its origin in ``x-dlq-*`` / ``x-original-*`` headers."""
    origin = _Origin(
        source["source_topic"],
        source["source_partition"],
        source["source_offset"],
        source["command_key"],
        source["command"],
    )
    letter = dead_letter(origin, consumer, "retries_exhausted", reason)
    topic = source["source_topic"] + DLQ_SUFFIX
    return (topic, letter.key, letter.value or b"", json.dumps(letter.headers), traceparent)

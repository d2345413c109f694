"""Writing events (domain → wire) and dead letters into ``comms.outbox``, inside the
caller's transaction; the relay publishes them once that transaction commits."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.events import (
    DeliveryStatusChanged,
    Event,
    RecipientOptedOut,
)
from jobline_contracts import comms as wire
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import COMMS_EVENTS
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection

NOTIFY_CHANNEL = "comms_outbox"
RELAY_LOCK = 0x434D524C  # "CMRL": elects one relay among the comms processes


def to_wire(event: Event) -> Payload:
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


def key_of(event: Event) -> str:
    """Status changes are keyed by delivery id, opt-outs/ins by phone number."""
    if isinstance(event, DeliveryStatusChanged):
        return str(event.delivery_id)
    return event.phone


async def write_event(conn: Connection, event: Event, causation: Causation) -> None:
    """Add ``event`` to the outbox, naming the command that caused it."""
    envelope: Envelope[Any] = Envelope.wrap(
        to_wire(event),
        tenant_id=causation.tenant_id,
        correlation_id=causation.correlation_id,
        causation_id=causation.message_id,
    )
    await _write(conn, COMMS_EVENTS.name, key_of(event).encode(), envelope.to_json(), {})


async def write_events(
    conn: Connection, events: Sequence[tuple[Event, Causation, str | None]]
) -> None:
    """:func:`write_event` for many at once, each with the ``traceparent`` of the call
    that caused it: one insert, in order, and one notification."""
    if not events:
        return
    values = [
        Envelope.wrap(
            to_wire(event),
            tenant_id=causation.tenant_id,
            correlation_id=causation.correlation_id,
            causation_id=causation.message_id,
        ).to_json()
        for event, causation, _ in events
    ]
    # The notification rides on the insert: one round trip for the whole batch.
    await conn.execute(
        "WITH added AS (INSERT INTO comms.outbox (topic, key, value, traceparent)"
        " SELECT $1, k, v, t FROM unnest($2::bytea[], $3::bytea[], $4::text[])"
        " WITH ORDINALITY AS e(k, v, t, n) ORDER BY n RETURNING 1)"
        " SELECT pg_notify($5, '') FROM (SELECT FROM added LIMIT 1) AS any_added",
        COMMS_EVENTS.name,
        [key_of(event).encode() for event, _, _ in events],
        values,
        [traceparent for _, _, traceparent in events],
        NOTIFY_CHANNEL,
    )


async def write_dead_letter(
    conn: Connection, row: Mapping[str, Any], kind: str, reason: str, consumer: str
) -> None:
    """Add the delivery's original command to ``<topic>.dlq``, unchanged, with the
    reason and its origin in ``x-dlq-*`` / ``x-original-*`` headers."""
    headers = {
        "x-dlq-kind": kind,
        "x-dlq-reason": reason,
        "x-dlq-consumer": consumer,
        "x-original-topic": row["source_topic"],
        "x-original-partition": str(row["source_partition"]),
        "x-original-offset": str(row["source_offset"]),
    }
    topic = row["source_topic"] + ".dlq"
    await _write(conn, topic, row["command_key"], row["command"], headers)


async def _write(
    conn: Connection, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
) -> None:
    await conn.execute(
        "INSERT INTO comms.outbox (topic, key, value, headers, traceparent)"
        " VALUES ($1, $2, $3, $4, $5)",
        topic,
        key,
        value,
        json.dumps(headers),
        current_traceparent(),  # the attempt (or callback) that caused it, back to jobs
    )
    # Delivered at commit: wakes the relay at once instead of at its next poll.
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)

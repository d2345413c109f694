"""Domain events → outbox rows: the one place they are mapped to wire messages (the
contracts' payloads on ``comms.events.v1``, an exhausted delivery's original command to
its dead-letter topic). Only the unit of work calls it, inside its transaction; the
relay publishes the rows once that transaction commits."""

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pydantic_core

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.engagement import DeliveryEngagementChanged
from jobline_comms.domain.events import (
    DeliveryDeadLettered,
    DeliveryStatusChanged,
    Event,
    RecipientOptedIn,
    RecipientOptedOut,
)
from jobline_comms.domain.inbound import ReplyReceived
from jobline_contracts import comms as wire
from jobline_contracts.dead_letter_kinds import DlqKind
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import COMMS_EVENTS, DLQ_SUFFIX
from jobline_contracts.types import CODE_MAX, TEXT_MAX, clipped
from jobline_infra import cloud_events
from jobline_infra.dead_letters import dead_letter
from jobline_infra.postgres import Connection

NOTIFY_CHANNEL = "comms_outbox"
SOURCE = "comms"  # ce_source /jobline/comms
RELAY_LOCK = 0x434D524C  # "CMRL": elects one relay among the comms processes

# An event, the command that caused it, and the trace of the call or request it came in.
Caused = tuple[Event, Causation, str | None]
Row = Mapping[str, Any]
_Message = tuple[str, bytes | None, bytes, str, str | None]  # topic, key, value, headers, trace
_Ce = tuple[str | None, str | None]  # ce_id, ce_time


@dataclass(frozen=True)
class _Origin:
    """Where the delivery's command was consumed, and its bytes, as its ledger row keeps
    them."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def to_wire(
    event: DeliveryStatusChanged
    | RecipientOptedOut
    | RecipientOptedIn
    | ReplyReceived
    | DeliveryEngagementChanged,
) -> Payload:
    """The contract payload of a domain event. A provider's words (its ids, codes and
    messages, a carrier's keyword) are cut to the contract's bounds: a long error message
    must still tell jobs the delivery failed, not fail the unit of work."""
    if isinstance(event, DeliveryStatusChanged):
        return wire.DeliveryStatusChanged(
            delivery_id=event.delivery_id,
            communication_id=event.communication_id,
            channel=event.channel.value,
            status=wire.DeliveryStatus(event.status.value),
            provider_message_id=clipped(event.provider_message_id, wire.PROVIDER_ID_MAX),
            error_code=clipped(event.error_code, CODE_MAX),
            error_message=clipped(event.error_message, TEXT_MAX),
        )
    if isinstance(event, ReplyReceived):
        return _reply(event)
    if isinstance(event, DeliveryEngagementChanged):
        return _engagement(event)
    keyword = clipped(event.keyword, CODE_MAX) or "?"
    if isinstance(event, RecipientOptedOut):
        return wire.RecipientOptedOut(phone=event.phone, keyword=keyword)
    return wire.RecipientOptedIn(phone=event.phone, keyword=keyword)


def _reply(event: ReplyReceived) -> Payload:
    return wire.ReplyReceived(
        reply_id=event.reply_id,
        channel="sms" if event.channel == "sms" else "email",
        sender=event.sender,
        subject=event.subject,
        body=event.body[: wire.REPLY_BODY_MAX],
        received_at=event.received_at,
        attachments=[wire.Attachment(**vars(f)) for f in event.files],
        refused_attachments=[wire.RefusedAttachment(**vars(f)) for f in event.refused],
    )


def _engagement(event: DeliveryEngagementChanged) -> Payload:
    e = event.engagement
    return wire.DeliveryEngagementChanged(
        delivery_id=event.delivery_id,
        communication_id=event.communication_id,
        opened_at=e.opened_at,
        deferred_at=e.deferred_at,
        deferred_reason=clipped(e.deferred_reason, TEXT_MAX),
    )


def key_of(
    event: DeliveryStatusChanged
    | RecipientOptedOut
    | RecipientOptedIn
    | ReplyReceived
    | DeliveryEngagementChanged,
) -> str:
    """Status and engagement changes are keyed by delivery id (one delivery's in order),
    opt-outs/ins by phone number, replies by their own id."""
    if isinstance(event, DeliveryStatusChanged | DeliveryEngagementChanged):
        return str(event.delivery_id)
    if isinstance(event, ReplyReceived):
        return str(event.reply_id)
    return event.phone


# The outbox rows of one statement ($10-$18, from :func:`outbox_args`): each row of a
# delivery's event is added only if that delivery's change was written (``written``,
# an earlier CTE), a row of no delivery (id NULL) always; in order, then one
# notification, which rides on the insert and, delivered at commit, wakes the relay at
# once instead of at its next poll.
ADD_ROWS = """
added AS (
    INSERT INTO comms.outbox (topic, key, value, headers, traceparent, ce_id, ce_time)
    SELECT e.t, e.k, e.v, e.h::jsonb, e.tp, e.ce_id, e.ce_time
    FROM unnest($10::uuid[], $11::text[], $12::bytea[], $13::bytea[], $14::text[],
        $15::text[], $16::text[], $17::text[])
        WITH ORDINALITY AS e(id, t, k, v, h, tp, ce_id, ce_time, n)
    WHERE e.id IS NULL OR e.id IN (SELECT delivery_id FROM written)
    ORDER BY e.n RETURNING 1),
notified AS (SELECT pg_notify($18, '') FROM (SELECT FROM added LIMIT 1) AS any_added)"""

# An event, and the delivery whose written change it needs (None: it needs none).
Guarded = tuple[UUID | None, Caused]


async def outbox_args(conn: Connection, events: Sequence[Guarded], consumer: str) -> list[Any]:
    """The arguments of :data:`ADD_ROWS`: the messages ``events`` map to, in order,
    and the channel to notify."""
    sources = await _dead_letter_sources(
        conn, [e.delivery_id for _, (e, _, _) in events if isinstance(e, DeliveryDeadLettered)]
    )
    rows: list[
        tuple[UUID | None, str, bytes | None, bytes, str, str | None, str | None, str | None]
    ] = []
    for needs, (event, causation, traceparent) in events:
        if isinstance(event, DeliveryDeadLettered):
            source = sources[event.delivery_id]
            letter = _dead_letter(source, event.reason, consumer, traceparent)
            rows.append((needs, *letter, None, None))
            continue
        envelope: Envelope[Any] = Envelope.wrap(
            to_wire(event),
            tenant_id=causation.tenant_id,
            correlation_id=causation.correlation_id,
            causation_id=causation.message_id,
        )
        value, key = envelope.to_json(), key_of(event).encode()
        headers = _headers(envelope.type)
        rows.append((needs, COMMS_EVENTS.name, key, value, headers, traceparent, *_ce(envelope)))
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    return [*columns, NOTIFY_CHANNEL]


@functools.cache
def _headers(message_type: str) -> str:
    """What every message of a type carries: its type and the CloudEvents headers that
    are the same for all of them (:mod:`jobline_infra.cloud_events`)."""
    return json.dumps({"message-type": message_type, **cloud_events.shared(message_type, SOURCE)})


def _ce(envelope: Envelope[Any]) -> _Ce:
    """``ce_id`` and ``ce_time`` of a message (none names a job: no ``ce_subject``)."""
    occurred_at = pydantic_core.to_json(envelope.occurred_at)[1:-1].decode()  # as in the value
    return str(envelope.message_id), occurred_at


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
    letter = dead_letter(origin, consumer, DlqKind.RETRIES_EXHAUSTED, reason)
    topic = source["source_topic"] + DLQ_SUFFIX
    return (topic, letter.key, letter.value or b"", json.dumps(letter.headers), traceparent)

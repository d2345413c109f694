"""Outbox rows: lifecycle messages, dead letters, and inserting rows in the caller's
transaction. A row's ``value`` is exactly what the relay publishes."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

import pydantic_core

from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.adapters.rows import NOTIFY_CHANNEL, OutboxRow, RowWriter
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

__all__ = ["NOTIFY_CHANNEL", "RELAY_LOCK", "dead_letter_row", "envelope_row", "insert"]

RELAY_LOCK = 0x52454C59  # "RELY": elects one relay among the jobs processes


@cache
def _headers(message_type: str) -> str:
    return json.dumps({"content-type": "application/json", "message-type": message_type})


def envelope_row(topic: str, key: UUID, envelope: Envelope[Any]) -> OutboxRow:
    """An envelope as an outbox row, keyed by ``key``."""
    return OutboxRow(
        topic, str(key).encode(), envelope.to_json(), _headers(envelope.type), current_traceparent()
    )


def event_id(causation: Causation, index: int) -> UUID:
    """The message id of the ``index``-th event ``causation`` caused: the same on every
    redelivery of the cause, so a replayed fact writes byte-identical outbox rows."""
    return uuid.uuid5(causation.message_id, str(index))


def _event_id_text(causation_id: UUID, index: int) -> str:
    """``str(uuid5(causation_id, str(index)))`` without building the UUID on the way."""
    digest = hashlib.sha1(causation_id.bytes + b"%d" % index, usedforsecurity=False).digest()
    n = int.from_bytes(digest[:16])
    n = (n & _CLEAR_VERSION_AND_VARIANT) | _VERSION_5_RFC_4122
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_CLEAR_VERSION_AND_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_5_RFC_4122 = (5 << 76) | (0x8000 << 48)


@lru_cache(maxsize=256)
def _stamp(tenant_id: str, occurred_at: datetime, correlation_id: UUID, cause: UUID) -> str:
    """The envelope fields every message caused by ``cause`` shares, as JSON."""
    at = pydantic_core.to_json(occurred_at).decode()
    return (
        f',"occurred_at":{at},"tenant_id":{json.dumps(tenant_id)},'
        f'"correlation_id":"{correlation_id}","causation_id":"{cause}","payload":'
    )


def lifecycle_row(
    payload: Payload, tenant_id: str, job_id: UUID, causation: Causation, index: int
) -> tuple[OutboxRow, str]:
    """The lifecycle message of ``payload`` as an outbox row, and the payload's JSON (for
    the timeline). The payload is serialised once, and the envelope around it is written
    field by field in the order ``Envelope.to_json`` writes them, from parts shared by the
    messages of one cause (a unit test holds the bytes equal to ``Envelope.to_json``'s)."""
    body = payload.__pydantic_serializer__.to_json(payload).decode()
    stamp = _stamp(tenant_id, causation.occurred_at, causation.correlation_id, causation.message_id)
    value = (
        f'{{"message_id":"{_event_id_text(causation.message_id, index)}",'
        f'"type":"{payload.message_type}","schema_version":{payload.schema_version}'
        f"{stamp}{body}}}"
    )
    row = OutboxRow(
        JOBS_LIFECYCLE.name,
        str(job_id).encode(),
        value.encode(),
        _headers(payload.message_type),
        current_traceparent(),
    )
    return row, body


def dead_letter_row(source: SourceMessage, consumer: str, kind: str, reason: str) -> OutboxRow:
    """The original bytes, unchanged, with why they were refused in the headers."""
    headers = {
        "x-dlq-kind": kind,
        "x-dlq-reason": reason,
        "x-dlq-consumer": consumer,
        "x-original-topic": source.topic,
        "x-original-partition": str(source.partition),
        "x-original-offset": str(source.offset),
    }
    return OutboxRow(
        source.topic + ".dlq", source.key, source.value, json.dumps(headers), current_traceparent()
    )


async def insert(conn: Connection, rows: Sequence[OutboxRow]) -> None:
    """``rows`` into the outbox in the caller's transaction, with the trace being handled
    (the request or message); the NOTIFY, delivered at commit, wakes the relay."""
    writer = RowWriter(conn)
    writer.extend(rows)
    await writer.send()

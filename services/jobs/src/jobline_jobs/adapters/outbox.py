"""Outbox rows: lifecycle messages, dead letters, and inserting rows in the caller's
transaction. A row's ``value`` is exactly what the relay publishes."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

import pydantic_core

from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.adapters.row_writer import NOTIFY_CHANNEL, RowWriter
from jobline_jobs.adapters.rows import OutboxRow
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


class CausedMessages:
    """The lifecycle messages one causing message writes, as outbox rows.

    They are numbered in the order written, and each one's id derives from the cause's
    id and its number (:func:`event_id`). Each payload is serialised once: the envelope
    around it is written field by field in the order ``Envelope.to_json`` writes them
    (a unit test holds the bytes equal), from a stamp of the fields the cause's messages
    share, worked out once per cause (UUIDs and datetimes are slow to format).
    """

    def __init__(self, causation: Causation) -> None:
        self._causation = causation
        self._namespace = causation.message_id.bytes
        self._count = 0
        self._stamps: dict[str, bytes] = {}
        self._traceparent: str | None = None

    def row(self, payload: Payload, tenant_id: str, job_id: UUID) -> tuple[OutboxRow, str]:
        """The next message, ``payload`` for job ``job_id``, and its payload as JSON (for
        the timeline)."""
        if self._count == 0:
            self._traceparent = current_traceparent()
        number, self._count = self._count, self._count + 1
        body = payload.__pydantic_serializer__.to_json(payload)
        value = b"".join(
            (
                b'{"message_id":"',
                self._event_id(number),
                b'","type":"',
                payload.message_type.encode(),
                b'","schema_version":%d' % payload.schema_version,
                self._stamp(tenant_id),
                body,
                b"}",
            )
        )
        message_type = payload.message_type
        key = str(job_id).encode()
        row = OutboxRow(JOBS_LIFECYCLE.name, key, value, _headers(message_type), self._traceparent)
        return row, body.decode()

    def _event_id(self, number: int) -> bytes:
        """``str(uuid5(cause, str(number)))``, without building the UUID on the way."""
        digest = bytearray(
            hashlib.sha1(self._namespace + b"%d" % number, usedforsecurity=False).digest()[:16]
        )
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
        h = digest.hex().encode()
        return b"-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))

    def _stamp(self, tenant_id: str) -> bytes:
        stamp = self._stamps.get(tenant_id)
        if stamp is None:
            why, to_json = self._causation, pydantic_core.to_json
            stamp = self._stamps[tenant_id] = b"".join(
                (
                    b',"occurred_at":',
                    to_json(why.occurred_at),
                    b',"tenant_id":',
                    to_json(tenant_id),
                    b',"correlation_id":',
                    to_json(why.correlation_id),
                    b',"causation_id":',
                    to_json(why.message_id),
                    b',"payload":',
                )
            )
        return stamp


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

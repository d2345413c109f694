"""Outbox rows: the messages a cause writes, stamped once each, and dead letters. A row's
``value`` is exactly what the relay publishes."""

import hashlib
import json
import uuid
from datetime import UTC
from functools import cache
from uuid import UUID

import pydantic_core

from jobline_contracts.envelope import Payload
from jobline_contracts.topics import DLQ_SUFFIX, JOBS_LIFECYCLE
from jobline_infra import cloud_events
from jobline_infra.dead_letters import dead_letter
from jobline_infra.observability.tracing import current_traceparent
from jobline_jobs.adapters.row_writer import NOTIFY_CHANNEL
from jobline_jobs.adapters.rows import OutboxRow
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

__all__ = ["NOTIFY_CHANNEL", "RELAY_LOCK", "CausedMessages", "dead_letter_row", "event_id"]

RELAY_LOCK = 0x52454C59  # "RELY": elects one relay among the jobs processes
SOURCE = "jobs"  # ce_source /jobline/jobs


@cache
def _headers(message_type: str) -> str:
    """What every message of a type carries: its type and the CloudEvents headers that
    are the same for all of them (the relay adds ``ce_id``, ``ce_time``, ``ce_subject``
    from the row's columns)."""
    return json.dumps({"message-type": message_type, **cloud_events.shared(message_type, SOURCE)})


def event_id(causation: Causation, index: int) -> UUID:
    """The message id of the ``index``-th message ``causation`` caused: the same on every
    redelivery of the cause, so a replayed fact writes the same messages again, only
    stamped with the time of the replay (consumers deduplicate on the id)."""
    return uuid.uuid5(causation.message_id, str(index))


class CausedMessages:
    """The messages one causing message writes (lifecycle events, commands to the comms
    and invoicing services), as outbox rows.

    They are numbered in the order written, and each one's id derives from the cause's
    id and its number (:func:`event_id`). Each payload is serialised once: the envelope
    around it is written field by field in the order ``Envelope.to_json`` writes them
    (a unit test holds the bytes equal), from a stamp of the fields the cause's messages
    share, worked out once per cause and correlation (UUIDs and datetimes are slow to
    format). Every message names its cause and is stamped with the cause's
    ``recorded_at`` (Jobline's UTC time of the change) and, for a consumed cause, that
    message's own time as ``source_occurred_at``.
    """

    def __init__(self, causation: Causation) -> None:
        self._causation = causation
        self._namespace = causation.message_id.bytes
        self._count = 0
        self._stamps: dict[object, bytes] = {}
        self._traceparent: str | None = None
        self._traced = False
        self._time: str | None = None

    def row(self, payload: Payload, tenant_id: str, job_id: UUID) -> tuple[OutboxRow, str]:
        """The next lifecycle message, ``payload`` of job ``job_id``, and its payload as
        JSON (for the timeline)."""
        value, body, message_id = self._value(payload, tenant_id, None)
        subject = str(job_id)
        row = OutboxRow(
            JOBS_LIFECYCLE.name,
            subject.encode(),
            value,
            _headers(payload.message_type),
            self._trace(),
            message_id,
            self._ce_time(),
            subject,
        )
        return row, body.decode()

    def command(
        self,
        topic: str,
        key: UUID,
        payload: Payload,
        tenant_id: str,
        *,
        correlation_id: UUID | None = None,
        traceparent: str | None = None,
        subject: UUID | None = None,
    ) -> OutboxRow:
        """The next message to another service, keyed by ``key``; in the flow of
        ``correlation_id`` (by default the cause's), published in the trace
        ``traceparent`` (by default the one being handled). Its ``ce_subject`` is
        ``subject``, or else the job the payload names, if it names one."""
        value, _, message_id = self._value(payload, tenant_id, correlation_id)
        job_id = subject or getattr(payload, "job_id", None)
        return OutboxRow(
            topic,
            str(key).encode(),
            value,
            _headers(payload.message_type),
            traceparent or self._trace(),
            message_id,
            self._ce_time(),
            None if job_id is None else str(job_id),
        )

    def _value(
        self, payload: Payload, tenant_id: str, correlation_id: UUID | None
    ) -> tuple[bytes, bytes, str]:
        """The envelope's bytes, the payload's, and the message id."""
        number, self._count = self._count, self._count + 1
        body = payload.__pydantic_serializer__.to_json(payload)
        message_id = self._event_id(number)
        value = b"".join(
            (
                b'{"message_id":"',
                message_id,
                b'","type":"',
                payload.message_type.encode(),
                b'","schema_version":%d' % payload.schema_version,
                self._stamp(tenant_id, correlation_id),
                body,
                b"}",
            )
        )
        return value, body, message_id.decode()

    def _ce_time(self) -> str:
        """``ce_time``: the envelopes' ``occurred_at`` (see :meth:`_stamp`) as they write
        it, formatted once per cause."""
        if self._time is None:
            recorded_at = self._causation.recorded_at.astimezone(UTC)
            self._time = pydantic_core.to_json(recorded_at)[1:-1].decode()
        return self._time

    def _trace(self) -> str | None:
        """The trace being handled, read once per cause; the consumed message's own when
        the handling is in no trace of it: a batch of facts is a trace of its own (its
        span links to theirs), and with tracing export off a batch has none."""
        if not self._traced:
            current, own = current_traceparent(), self._causation.traceparent
            if own is not None and (current is None or current[3:35] != own[3:35]):
                current = own  # [3:35]: the trace id of a version-00 traceparent
            self._traceparent, self._traced = current, True
        return self._traceparent

    def _event_id(self, number: int) -> bytes:
        """``str(uuid5(cause, str(number)))``, without building the UUID on the way."""
        digest = bytearray(
            hashlib.sha1(self._namespace + b"%d" % number, usedforsecurity=False).digest()[:16]
        )
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
        h = digest.hex().encode()
        return b"-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))

    def _stamp(self, tenant_id: str, correlation_id: UUID | None) -> bytes:
        key = tenant_id if correlation_id is None else (tenant_id, correlation_id)
        stamp = self._stamps.get(key)
        if stamp is None:
            why, to_json = self._causation, pydantic_core.to_json
            stamp = self._stamps[key] = b"".join(
                (
                    b',"occurred_at":',
                    to_json(why.recorded_at.astimezone(UTC)),
                    b',"tenant_id":',
                    to_json(tenant_id),
                    b',"correlation_id":',
                    to_json(correlation_id or why.correlation_id),
                    b',"causation_id":',
                    to_json(why.message_id),
                    _source_occurred_at(why),
                    b',"payload":',
                )
            )
        return stamp


def _source_occurred_at(why: Causation) -> bytes:
    """The consumed message's own time, as it wrote it; nothing for a request's or the
    scheduler's change (the envelope leaves the field out when it is None)."""
    if why.source_occurred_at is None:
        return b""
    return b',"source_occurred_at":' + pydantic_core.to_json(why.source_occurred_at)


def dead_letter_row(source: SourceMessage, consumer: str, kind: str, reason: str) -> OutboxRow:
    """The original bytes (cut if they would not fit), with why they were refused in the
    headers."""
    letter = dead_letter(source, consumer, kind, reason)
    return OutboxRow(
        source.topic + DLQ_SUFFIX,
        letter.key,
        letter.value or b"",
        json.dumps(letter.headers),
        current_traceparent(),
    )

"""CloudEvents headers (Kafka protocol binding, binary mode) beside Jobline's envelope.

Every message Jobline publishes keeps its envelope as the value; its headers name the
same message as CloudEvents v1.0 does, so an event router (Knative, Argo Events, an
Event Grid bridge) routes and filters it without reading the envelope (the names are
the contracts', :mod:`jobline_contracts.cloud_events`):

- ``ce_specversion`` ``1.0``; ``content-type`` ``application/json`` (the envelope);
- ``ce_type`` the envelope's ``type`` under a reverse-DNS prefix (``dev.jobline.job.created``);
- ``ce_source`` ``/jobline/<service>`` (``/jobline/jobs``, ``/jobline/comms``, …);
- ``ce_id`` the envelope's ``message_id``; ``ce_time`` its ``occurred_at`` as written there;
- ``ce_subject`` the job id, on a message about a job.

The attributes every message of a type shares are built once per type by the SDK
(:func:`shared`). The three per message (id, time, subject) travel in the outbox row's
own columns and the relay adds them as the SDK's binding writes them (UTF-8 text, no
percent-encoding; a unit test holds the two equal): about a microsecond a message where a
``CloudEvent`` object and ``to_binary`` per message cost ~10 µs.
"""

import functools
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings.kafka import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from jobline_contracts.cloud_events import CONTENT_TYPE, event_type, source

ID, TIME, SUBJECT = "ce_id", "ce_time", "ce_subject"
_PER_MESSAGE = (ID, TIME)  # built by the SDK as placeholders, then dropped from shared()
_FORMAT = JSONFormat()


def binary_headers(
    message_type: str,
    service: str,
    message_id: str,
    occurred_at: datetime,
    subject: str | None = None,
) -> dict[str, bytes]:
    """Every ``ce_*`` header and ``content-type`` of one message, by the SDK itself (for
    a producer that sends directly, not through an outbox relay)."""
    attributes: dict[str, Any] = {
        "type": event_type(message_type),
        "source": source(service),
        "id": message_id,
        "time": occurred_at,
        "datacontenttype": CONTENT_TYPE,
    }
    if subject is not None:
        attributes["subject"] = subject
    return to_binary(CloudEvent(attributes), _FORMAT).headers


@functools.cache
def shared(message_type: str, service: str) -> dict[str, str]:
    """The headers every message of ``message_type`` from ``service`` carries, as text:
    what the SDK's ``to_binary`` writes, less the per-message id and time."""
    headers = binary_headers(message_type, service, "-", datetime.fromtimestamp(0, UTC))
    return {k: v.decode() for k, v in headers.items() if k not in _PER_MESSAGE}


def per_message(message_id: str, occurred_at: str, subject: str | None) -> list[tuple[str, bytes]]:
    """``ce_id``, ``ce_time`` (``occurred_at`` already RFC 3339, as the envelope writes
    it) and ``ce_subject`` (if any), as Kafka takes headers."""
    if subject is None:
        return [(ID, message_id.encode()), (TIME, occurred_at.encode())]
    return [(ID, message_id.encode()), (TIME, occurred_at.encode()), (SUBJECT, subject.encode())]

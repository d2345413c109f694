"""Domain events → what the unit of work writes for them: the job's timeline row and the
outbox messages (lifecycle events, commands to the comms and invoicing services). The
only place the two vocabularies meet, and the only code that builds an ``Envelope``."""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from jobline_contracts.comms import Attachment, SendEmail, SendSms
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.invoicing import InvoiceSnapshot, RenderInvoice
from jobline_contracts.topics import COMMS_COMMANDS, INVOICING_COMMANDS, JOBS_LIFECYCLE
from jobline_infra.observability import tracing
from jobline_jobs.adapters.lifecycle import to_wire
from jobline_jobs.adapters.outbox import OutboxRow
from jobline_jobs.domain import events
from jobline_jobs.service_layer.unit_of_work import Causation


@dataclass(frozen=True)
class TimelineEntry:
    type: str
    details: dict[str, object]
    at: datetime | None = None  # None: when the message being handled happened


Written = tuple[TimelineEntry | None, list[OutboxRow]]


def row(
    topic: str, key: UUID, envelope: Envelope[Any], traceparent: str | None = None
) -> OutboxRow:
    """An envelope as an outbox row, keyed by ``key``."""
    headers = {"content-type": "application/json", "message-type": envelope.type}
    return (topic, str(key).encode(), envelope.to_json(), json.dumps(headers), traceparent)


@singledispatch
def written(event: events.Event, tenant_id: str, causation: Causation) -> Written:
    """The timeline entry and outbox rows of ``event``: by default, a lifecycle event
    caused by the message being handled, on the timeline as published."""
    payload = to_wire(event)
    envelope = Envelope.wrap(
        payload,
        tenant_id=tenant_id,
        occurred_at=causation.occurred_at,
        correlation_id=causation.correlation_id,
        causation_id=causation.message_id,
    )
    entry = TimelineEntry(payload.message_type, payload.model_dump(mode="json"))
    return entry, [row(JOBS_LIFECYCLE.name, event.job_id, envelope)]


@written.register
def _(event: events.CommunicationRequested, tenant_id: str, causation: Causation) -> Written:
    # What other teams learn of a send: counts and versions, never addresses or wording.
    _, rows = written.dispatch(events.Event)(event, tenant_id, causation)
    invoice = event.invoice_number if isinstance(event, events.InvoiceSent) else None
    details: dict[str, object] = {
        "communication_id": str(event.communication_id),
        "channel": event.channel,
        "recipients": list(event.recipients),
        "send_at": event.send_at.isoformat(),
        "invoice_number": invoice,
    }
    return TimelineEntry("invoice.sent" if invoice else "communication.requested", details), rows


@written.register
def _(event: events.DeliveriesReleased, tenant_id: str, causation: Causation) -> Written:  # noqa: ARG001
    if not event.later:  # in the trace of the request being handled
        return None, _send_commands(event, tenant_id, None)
    # In the trace of the request that scheduled it, however much later.
    with tracing.continued(
        "communication released", event.traceparent, communication_id=str(event.communication_id)
    ):
        return None, _send_commands(event, tenant_id, tracing.current_traceparent())


def _send_commands(
    event: events.DeliveriesReleased, tenant_id: str, traceparent: str | None
) -> list[OutboxRow]:
    """One command per delivery, keyed by delivery id."""
    rows = []
    for to in event.deliveries:
        payload: Payload
        if event.channel == "sms":
            payload = SendSms(
                delivery_id=to.delivery_id,
                communication_id=event.communication_id,
                job_id=event.job_id,
                recipient_id=to.recipient_id,
                to=to.address,
                body=event.body,
            )
        else:
            payload = SendEmail(
                delivery_id=to.delivery_id,
                communication_id=event.communication_id,
                job_id=event.job_id,
                recipient_id=to.recipient_id,
                to=to.address,
                to_name=to.recipient_name,
                subject=event.subject or "",  # an email has one (check_content)
                body_text=event.body,
                attachments=[Attachment(**vars(f)) for f in event.files],
            )
        envelope = Envelope.wrap(
            payload, tenant_id=tenant_id, correlation_id=event.communication_id
        )
        rows.append(row(COMMS_COMMANDS.name, to.delivery_id, envelope, traceparent))
    return rows


@written.register
def _(event: events.DeliveryStatusChanged, tenant_id: str, causation: Causation) -> Written:  # noqa: ARG001
    # Delivery outcomes belong on the job's timeline beside the request that caused them.
    details: dict[str, object] = {
        "delivery_id": str(event.delivery_id),
        "status": event.status,
        "communication_id": str(event.communication_id),
        "recipient": event.recipient,
        "channel": event.channel,
        "error_code": event.error_code,
        "error_message": event.error_message,
    }
    return TimelineEntry("delivery.status_changed", details, event.at), []


@written.register
def _(event: events.InvoiceNumbered, tenant_id: str, causation: Causation) -> Written:  # noqa: ARG001
    return None, []  # the invoice's row says it; nobody else is told


@written.register
def _(event: events.InvoiceRenderRequested, tenant_id: str, causation: Causation) -> Written:  # noqa: ARG001
    command = RenderInvoice(
        job_id=event.job_id,
        snapshot_sha256=event.snapshot_sha256,
        snapshot=InvoiceSnapshot.model_validate(event.snapshot),
    )
    envelope = Envelope.wrap(command, tenant_id=tenant_id)
    return None, [row(INVOICING_COMMANDS.name, event.job_id, envelope)]

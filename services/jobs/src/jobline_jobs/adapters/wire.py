"""Domain events → what the unit of work writes for them: the job's timeline row and the
outbox messages (lifecycle events, commands to the comms and invoicing services). The
only place the two vocabularies meet; ``outbox.CausedMessages`` puts each message in its
envelope."""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch

from jobline_contracts.comms import Attachment, SendEmail, SendSms
from jobline_contracts.envelope import Payload
from jobline_contracts.invoicing import InvoiceSnapshot, RenderInvoice
from jobline_contracts.state import JobState
from jobline_contracts.topics import COMMS_COMMANDS, INVOICING_COMMANDS, JOBS_STATE
from jobline_infra.observability import tracing
from jobline_jobs.adapters.lifecycle import to_wire
from jobline_jobs.adapters.outbox import CausedMessages
from jobline_jobs.adapters.rows import OutboxRow
from jobline_jobs.domain import delivery_outcomes, events
from jobline_jobs.domain.replies import ReplyReceived


@dataclass(frozen=True, slots=True)
class Entry:
    """An event's line on its job's timeline."""

    type: str
    details: str  # JSON
    at: datetime | None = None  # None: when the message being handled happened


Written = tuple[Entry | None, list[OutboxRow]]


@singledispatch
def written(event: events.Event, tenant_id: str, messages: CausedMessages) -> Written:
    """The timeline entry and outbox rows of ``event``, stamped by ``messages`` (those of
    the message being handled): by default, a lifecycle event, on the timeline as
    published."""
    payload = to_wire(event)
    row, details = messages.row(payload, tenant_id, event.job_id)
    return Entry(payload.message_type, details), [row]


@written.register
def _(event: events.CommunicationRequested, tenant_id: str, messages: CausedMessages) -> Written:
    # What other teams learn of a send: counts and versions, never addresses or wording.
    _, rows = written.dispatch(events.Event)(event, tenant_id, messages)
    invoice = event.invoice_number if isinstance(event, events.InvoiceSent) else None
    details: dict[str, object] = {
        "communication_id": str(event.communication_id),
        "channel": event.channel,
        "recipients": list(event.recipients),
        "send_at": event.send_at.isoformat(),
        "invoice_number": invoice,
    }
    type_ = "invoice.sent" if invoice else "communication.requested"
    return Entry(type_, json.dumps(details)), rows


@written.register
def _(event: events.DeliveriesReleased, tenant_id: str, messages: CausedMessages) -> Written:
    if not event.later:  # in the trace of the request being handled
        return None, _send_commands(event, tenant_id, messages, None)
    # In the trace of the request that scheduled it, however much later.
    with tracing.continued(
        "communication released", event.traceparent, communication_id=str(event.communication_id)
    ):
        traceparent = tracing.current_traceparent()
    return None, _send_commands(event, tenant_id, messages, traceparent)


def _send_commands(
    event: events.DeliveriesReleased,
    tenant_id: str,
    messages: CausedMessages,
    traceparent: str | None,
) -> list[OutboxRow]:
    """One command per delivery, keyed by delivery id, in the communication's flow."""
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
                # Upstream names may span lines; a display name is one header line.
                to_name=" ".join(to.recipient_name.split()) if to.recipient_name else None,
                subject=event.subject or "",  # an email has one (check_content)
                body_text=event.body,
                attachments=[
                    Attachment(**{**vars(f), "filename": " ".join(f.filename.split())})
                    for f in event.files
                ],
                from_name=" ".join(event.sender.name.split()) if event.sender else None,
                reply_to=event.sender.email if event.sender else None,
            )
        rows.append(
            messages.command(
                COMMS_COMMANDS.name,
                to.delivery_id,
                payload,
                tenant_id,
                correlation_id=event.communication_id,
                traceparent=traceparent,
            )
        )
    return rows


@written.register
def _(event: events.DeliveryStatusChanged, tenant_id: str, messages: CausedMessages) -> Written:  # noqa: ARG001
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
    return Entry("delivery.status_changed", json.dumps(details), event.at), []


@written.register
def _(event: events.InvoiceRenderRequested, tenant_id: str, messages: CausedMessages) -> Written:
    command = RenderInvoice(
        job_id=event.job_id,
        snapshot_sha256=event.snapshot_sha256,
        snapshot=InvoiceSnapshot.model_validate(event.snapshot),
    )
    return None, [messages.command(INVOICING_COMMANDS.name, event.job_id, command, tenant_id)]


# issue 18: send later
@written.register
def _(event: events.CommunicationCanceled, tenant_id: str, messages: CausedMessages) -> Written:  # noqa: ARG001
    # On the job's timeline only: nothing was handed to comms, and the lifecycle has no
    # event for a call-off in v1 (readers of communication.requested see its send_at).
    details: dict[str, object] = {
        "communication_id": str(event.communication_id),
        "channel": event.channel,
        "send_at": event.send_at.isoformat(),
        "canceled_by": event.canceled_by,
    }
    return Entry("communication.canceled", json.dumps(details)), []


# issue 19: a delivery's outcome is on the job's timeline as delivery.status_changed
# already; other teams hear of it on the lifecycle topic.
@written.register
def _(
    event: delivery_outcomes.CommunicationOutcome, tenant_id: str, messages: CausedMessages
) -> Written:
    row, _ = messages.row(to_wire(event), tenant_id, event.job_id)
    return None, [row]


# issue 19: the state topic
def snapshot(state: JobState, tenant_id: str, messages: CausedMessages) -> OutboxRow:
    """The job's snapshot on ``jobs.state.v1`` (``adapters.job_states``), keyed by job id:
    not on the timeline, which has the changes it sums up."""
    return messages.command(JOBS_STATE.name, state.id, state, tenant_id, subject=state.id)


# issue 20: a reply in the tenant's inbox is on no job's timeline; it is published keyed
# by its own id (the event's job_id then).
@written.register
def _(event: ReplyReceived, tenant_id: str, messages: CausedMessages) -> Written:
    entry, rows = written.dispatch(events.Event)(event, tenant_id, messages)
    return (None if event.in_inbox else entry), rows

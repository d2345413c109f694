"""Publishing the invoicing events on ``invoicing.events.v1`` (domain → wire)."""

from aiokafka import AIOKafkaProducer

from jobline_contracts import invoicing as wire
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import INVOICING_EVENTS
from jobline_contracts.types import TEXT_MAX, clipped
from jobline_infra import cloud_events
from jobline_infra.observability.tracing import current_traceparent
from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.events import Event, InvoiceRendered
from jobline_invoicing.service_layer.ports import EventPublisher


def to_wire(event: Event) -> Payload:
    """The contract payload of a domain event (a renderer's failure cut to the bound)."""
    if isinstance(event, InvoiceRendered):
        return wire.InvoiceRendered(
            job_id=event.job_id,
            invoice_number=event.invoice_number,
            snapshot_sha256=event.snapshot_sha256,
            blob_key=event.blob_key,
            sha256=event.pdf.sha256,
            pages=event.pdf.pages,
            bytes=event.pdf.size_bytes,
        )
    return wire.InvoiceRenderFailed(
        job_id=event.job_id,
        invoice_number=event.invoice_number,
        snapshot_sha256=event.snapshot_sha256,
        reason=clipped(event.reason, TEXT_MAX) or "",
    )


class KafkaEventPublisher(EventPublisher):
    """Sends each event keyed by job id, through an idempotent ``acks=all`` producer, with
    its CloudEvents headers (:mod:`jobline_infra.cloud_events`, ``ce_subject`` the job)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, event: Event, causation: Causation) -> None:
        envelope = Envelope.wrap(
            to_wire(event),
            tenant_id=causation.tenant_id,
            correlation_id=causation.correlation_id,
            causation_id=causation.message_id,
        )
        job_id = str(event.job_id)
        headers = cloud_events.binary_headers(
            envelope.type, "invoicing", str(envelope.message_id), envelope.occurred_at, job_id
        )
        headers["message-type"] = envelope.type.encode()
        traceparent = current_traceparent()  # the render command's trace, back to jobs
        if traceparent:
            headers["traceparent"] = traceparent.encode()
        await self._producer.send_and_wait(
            INVOICING_EVENTS.name,
            envelope.to_json(),
            key=job_id.encode(),
            headers=[*headers.items()],
        )

"""Wire → internal: a decoded ``invoice.render`` envelope becomes a domain command."""

from typing import Any

from jobline_contracts.envelope import Envelope
from jobline_contracts.invoicing import RenderInvoice as RenderInvoiceMessage
from jobline_invoicing.domain.commands import Causation, RenderInvoice


def to_command(envelope: Envelope[Any]) -> RenderInvoice:
    """The render command carried by ``envelope`` (decoded on invoicing.commands.v1)."""
    message = envelope.payload
    if not isinstance(message, RenderInvoiceMessage):
        raise TypeError(f"not a render command: {envelope.type}")
    snapshot = message.snapshot
    return RenderInvoice(
        tenant_id=envelope.tenant_id,
        job_id=message.job_id,
        invoice_number=snapshot.invoice_number,
        snapshot_sha256=message.snapshot_sha256,
        # Plain data (Decimal, date, str): what the template prints, picklable for a worker.
        snapshot=snapshot.model_dump(mode="python"),
        logo_key=snapshot.branding.logo_blob_key,
    )


def causation_of(envelope: Envelope[Any]) -> Causation:
    """Who caused what the command leads to: its message id, within its correlation."""
    return Causation(envelope.tenant_id, envelope.message_id, envelope.correlation_id)

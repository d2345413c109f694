"""The one command of the invoicing service and its handler."""

import logging
from dataclasses import dataclass

from jobline_invoicing.domain.commands import Causation, RenderInvoice
from jobline_invoicing.domain.content import PdfFacts, invoice_key
from jobline_invoicing.domain.events import Event, InvoiceRendered, InvoiceRenderFailed
from jobline_invoicing.domain.rendering import DrawFailed
from jobline_invoicing.service_layer.ports import EventPublisher, InvoiceStore, Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What the handler works with (real adapters in bootstrap, fakes in unit tests)."""

    store: InvoiceStore
    renderer: Renderer
    events: EventPublisher


async def render_invoice(cmd: RenderInvoice, causation: Causation, services: Services) -> Event:
    """Render the snapshot's PDF unless its content address already holds it, then report.

    Storage and publishing errors propagate (they are transient: a retry finds the PDF
    stored and only reports again). A document that cannot be drawn is an outcome,
    reported as :class:`InvoiceRenderFailed`.
    """
    event = await _rendered(cmd, services.store, services.renderer)
    await services.events.publish(event, causation)
    return event


async def _rendered(cmd: RenderInvoice, store: InvoiceStore, renderer: Renderer) -> Event:
    key = invoice_key(cmd.tenant_id, cmd.snapshot_sha256, renderer.template_version)
    facts = await store.find(key)
    if facts is None:
        logo = await store.logo(cmd.logo_key) if cmd.logo_key else None
        outcome = await renderer.draw(cmd.snapshot, logo)
        if isinstance(outcome, DrawFailed):
            log.warning("invoice %s not rendered: %s", cmd.invoice_number, outcome.reason)
            return InvoiceRenderFailed(
                cmd.job_id, cmd.invoice_number, cmd.snapshot_sha256, outcome.reason
            )
        facts = PdfFacts.of(outcome.pdf, outcome.pages)
        await store.save(key, outcome.pdf, facts)
        log.info("invoice %s rendered: %s, pages=%d", cmd.invoice_number, key, facts.pages)
    return InvoiceRendered(cmd.job_id, cmd.invoice_number, cmd.snapshot_sha256, key, facts)

"""The content address in a real blob store: one render per snapshot and template."""

import hashlib
import json
import uuid
from collections.abc import Mapping

import pytest
from pypdf import PdfReader

from jobline_invoicing.adapters.blob_store import BlobStore
from jobline_invoicing.adapters.invoice_store import BlobInvoiceStore
from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer
from jobline_invoicing.domain.commands import Causation, RenderInvoice
from jobline_invoicing.domain.content import TEMPLATE_VERSION, PdfFacts
from jobline_invoicing.domain.events import Event, InvoiceRendered
from jobline_invoicing.domain.rendering import DrawOutcome
from jobline_invoicing.service_layer.handlers import Services, render_invoice
from jobline_invoicing.service_layer.ports import EventPublisher, Renderer

pytestmark = pytest.mark.integration


class CountingRenderer(Renderer):
    """The real process pool, counting the documents it draws."""

    def __init__(self, pool: ProcessPoolRenderer) -> None:
        self.pool, self.draws = pool, 0

    @property
    def template_version(self) -> str:
        return self.pool.template_version

    async def draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        self.draws += 1
        return await self.pool.draw(snapshot, logo)


class RecordingEvents(EventPublisher):
    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish(self, event: Event, causation: Causation) -> None:
        self.published.append(event)


@pytest.fixture
async def pool():
    renderer = ProcessPoolRenderer(workers=1)
    yield renderer
    renderer.close()


async def test_the_same_snapshot_twice_renders_once(tmp_path, pool, golden, logo_png):
    blobs = BlobStore(tmp_path.as_uri())
    await blobs.put("acme/branding/logo.png", logo_png)
    renderer, events = CountingRenderer(pool), RecordingEvents()
    services = Services(BlobInvoiceStore(blobs), renderer, events)
    snapshot = golden.payload.snapshot
    command = RenderInvoice(
        "acme",
        golden.payload.job_id,
        snapshot.invoice_number,
        golden.payload.snapshot_sha256,
        snapshot.model_dump(mode="python"),
        snapshot.branding.logo_blob_key,
    )
    cause = Causation("acme", uuid.uuid4(), uuid.uuid4())

    first = await render_invoice(command, cause, services)
    second = await render_invoice(command, cause, services)

    assert renderer.draws == 1
    assert isinstance(first, InvoiceRendered)
    assert second == first
    address = hashlib.sha256(f"{command.snapshot_sha256}:{TEMPLATE_VERSION}".encode())
    assert first.blob_key == f"invoices/acme/{address.hexdigest()}.pdf"
    pdf = (tmp_path / first.blob_key).read_bytes()
    assert first.pdf == PdfFacts(hashlib.sha256(pdf).hexdigest(), 1, len(pdf))
    assert len(PdfReader(tmp_path / first.blob_key).pages[0].images) == 1  # the logo
    sidecar = json.loads((tmp_path / f"{first.blob_key}.json").read_text())
    assert sidecar == {"sha256": first.pdf.sha256, "pages": 1, "size_bytes": len(pdf)}


async def test_the_store_reads_only_whole_renders_and_tolerates_missing_logos(tmp_path):
    blobs = BlobStore(tmp_path.as_uri())
    store = BlobInvoiceStore(blobs)
    assert await store.find("invoices/acme/none.pdf") is None
    await blobs.put("invoices/acme/half.pdf", b"%PDF")  # the PDF, its sidecar not yet
    assert await store.find("invoices/acme/half.pdf") is None
    await blobs.put("invoices/acme/half.pdf.json", b"{not json")
    assert await store.find("invoices/acme/half.pdf") is None
    facts = PdfFacts.of(b"%PDF", 1)
    await store.save("invoices/acme/whole.pdf", b"%PDF", facts)
    assert await store.find("invoices/acme/whole.pdf") == facts
    assert await store.logo("acme/branding/none.png") is None

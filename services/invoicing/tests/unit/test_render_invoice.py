"""The render handler with fakes: once per content address, failures are outcomes."""

import hashlib
import uuid
from collections.abc import Mapping

import pytest

from jobline_invoicing.domain.commands import Causation, RenderInvoice
from jobline_invoicing.domain.content import PdfFacts, invoice_key, sidecar_key
from jobline_invoicing.domain.events import Event, InvoiceRendered, InvoiceRenderFailed
from jobline_invoicing.domain.rendering import DrawFailed, Drawn, DrawOutcome, reason_of
from jobline_invoicing.service_layer.handlers import Services, render_invoice
from jobline_invoicing.service_layer.ports import EventPublisher, InvoiceStore, Renderer

pytestmark = pytest.mark.unit
PDF = b"%PDF-1.7 fake"
SNAPSHOT_SHA = "8cc32f17614bff6a9b5bc24aa1ecccd741184c66802604a02b5e7fa4e33d9b33"


class FakeStore(InvoiceStore):
    def __init__(self, blobs: dict[str, bytes] | None = None) -> None:
        self.pdfs: dict[str, tuple[bytes, PdfFacts]] = {}
        self.blobs = blobs or {}

    async def find(self, key: str) -> PdfFacts | None:
        return self.pdfs[key][1] if key in self.pdfs else None

    async def save(self, key: str, pdf: bytes, facts: PdfFacts) -> None:
        self.pdfs[key] = (pdf, facts)

    async def logo(self, key: str) -> bytes | None:
        return self.blobs.get(key)


class FakeRenderer(Renderer):
    def __init__(self, outcome: DrawOutcome | None = None, version: str = "v-test") -> None:
        self.outcome, self.version = outcome or Drawn(PDF, 1), version
        self.drawn: list[tuple[Mapping[str, object], bytes | None]] = []

    @property
    def template_version(self) -> str:
        return self.version

    async def draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        self.drawn.append((snapshot, logo))
        return self.outcome


class FakeEvents(EventPublisher):
    def __init__(self) -> None:
        self.published: list[tuple[Event, Causation]] = []

    async def publish(self, event: Event, causation: Causation) -> None:
        self.published.append((event, causation))


def command(logo_key: str | None = None) -> RenderInvoice:
    return RenderInvoice(
        tenant_id="acme",
        job_id=uuid.UUID("791dff32-a3aa-4363-9f03-f0542bb1c63e"),
        invoice_number="INV-2025-0042",
        snapshot_sha256=SNAPSHOT_SHA,
        snapshot={"invoice_number": "INV-2025-0042"},
        logo_key=logo_key,
    )


CAUSE = Causation("acme", uuid.uuid4(), uuid.uuid4())


def services(renderer: Renderer | None = None, store: InvoiceStore | None = None) -> Services:
    return Services(store or FakeStore(), renderer or FakeRenderer(), FakeEvents())


def test_the_content_address_is_tenant_and_snapshot_through_template():
    address = hashlib.sha256(f"{SNAPSHOT_SHA}:invoice-v1".encode()).hexdigest()
    assert invoice_key("acme", SNAPSHOT_SHA, "invoice-v1") == f"invoices/acme/{address}.pdf"
    assert invoice_key("acme", SNAPSHOT_SHA, "invoice-v2") != invoice_key(
        "acme", SNAPSHOT_SHA, "invoice-v1"
    )
    assert sidecar_key("invoices/acme/x.pdf") == "invoices/acme/x.pdf.json"


def test_pdf_facts_round_trip_through_their_sidecar():
    facts = PdfFacts.of(PDF, 3)
    assert facts == PdfFacts(hashlib.sha256(PDF).hexdigest(), 3, len(PDF))
    assert PdfFacts.from_json(facts.to_json()) == facts


async def test_a_new_snapshot_is_drawn_stored_and_reported():
    deps = services()
    event = await render_invoice(command(), CAUSE, deps)
    key = invoice_key("acme", SNAPSHOT_SHA, "v-test")
    assert event == InvoiceRendered(
        command().job_id, "INV-2025-0042", SNAPSHOT_SHA, key, PdfFacts.of(PDF, 1)
    )
    assert deps.store.pdfs[key][0] == PDF
    assert deps.events.published == [(event, CAUSE)]


async def test_the_same_snapshot_is_drawn_once_and_reported_each_time():
    renderer = FakeRenderer()
    deps = services(renderer)
    first = await render_invoice(command(), CAUSE, deps)
    second = await render_invoice(command(), CAUSE, deps)
    assert len(renderer.drawn) == 1
    assert first == second
    assert len(deps.events.published) == 2


async def test_a_new_template_version_draws_again():
    store = FakeStore()
    await render_invoice(command(), CAUSE, services(FakeRenderer(version="a"), store))
    renderer_b = FakeRenderer(version="b")
    await render_invoice(command(), CAUSE, services(renderer_b, store))
    assert len(renderer_b.drawn) == 1
    assert len(store.pdfs) == 2


async def test_a_document_that_cannot_be_drawn_is_reported_failed_and_nothing_stored():
    renderer = FakeRenderer(DrawFailed("TemplateSyntaxError: unexpected '}'"))
    deps = services(renderer)
    event = await render_invoice(command(), CAUSE, deps)
    assert event == InvoiceRenderFailed(
        command().job_id, "INV-2025-0042", SNAPSHOT_SHA, "TemplateSyntaxError: unexpected '}'"
    )
    assert deps.store.pdfs == {}
    assert deps.events.published == [(event, CAUSE)]


async def test_the_logo_comes_from_the_store_and_a_missing_one_is_left_out():
    renderer = FakeRenderer()
    store = FakeStore({"acme/branding/logo.png": b"PNG"})
    await render_invoice(command("acme/branding/logo.png"), CAUSE, services(renderer, store))
    assert renderer.drawn[-1][1] == b"PNG"
    other = RenderInvoice(**{**command("acme/none.png").__dict__, "snapshot_sha256": "f" * 64})
    await render_invoice(other, CAUSE, services(renderer, store))
    assert renderer.drawn[-1][1] is None


def test_failure_reasons_are_one_short_line():
    assert reason_of(ValueError("bad\n  value")) == "ValueError: bad value"
    long = reason_of(RuntimeError("x" * 1000))
    assert len(long) == 300
    assert long.endswith("…")

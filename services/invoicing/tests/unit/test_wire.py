"""Wire ↔ internal: the golden command becomes a domain command; events go out as the
contracts' golden examples have them."""

import json
import uuid
from pathlib import Path

import pytest

from jobline_contracts.codec import decode
from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import INVOICING_EVENTS
from jobline_invoicing.adapters.events import to_wire
from jobline_invoicing.domain.content import PdfFacts
from jobline_invoicing.domain.events import InvoiceRendered, InvoiceRenderFailed
from jobline_invoicing.entrypoints.translate import causation_of, to_command

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[4] / "contracts/examples/invoicing.events.v1"
SNAPSHOT_SHA = "8cc32f17614bff6a9b5bc24aa1ecccd741184c66802604a02b5e7fa4e33d9b33"


def test_the_golden_command_translates(golden):
    cmd = to_command(golden)
    assert cmd.tenant_id == "acme"
    assert cmd.job_id == uuid.UUID("791dff32-a3aa-4363-9f03-f0542bb1c63e")
    assert cmd.invoice_number == "INV-2025-0042"
    assert cmd.snapshot_sha256 == SNAPSHOT_SHA
    assert cmd.logo_key == "acme/branding/logo.png"
    assert cmd.snapshot["customer_name"] == "Dana Whitfield"
    cause = causation_of(golden)
    assert (cause.message_id, cause.correlation_id) == (golden.message_id, golden.correlation_id)


@pytest.mark.parametrize(
    ("event", "example"),
    [
        (
            InvoiceRendered(
                uuid.uuid4(), "INV-1", SNAPSHOT_SHA, "invoices/acme/x.pdf", PdfFacts.of(b"%PDF", 1)
            ),
            "invoice.rendered.v1.json",
        ),
        (
            InvoiceRenderFailed(uuid.uuid4(), "INV-1", SNAPSHOT_SHA, "E: e"),
            "invoice.render_failed.v1.json",
        ),
    ],
)
def test_events_go_out_in_the_golden_shape(event, example, golden):
    envelope = Envelope.wrap(to_wire(event), tenant_id="acme", causation_id=golden.message_id)
    decoded = decode(INVOICING_EVENTS, envelope.to_json())
    golden_event = json.loads((EXAMPLES / example).read_text())
    assert decoded.type == golden_event["type"]
    assert set(json.loads(envelope.to_json())["payload"]) == set(golden_event["payload"])
    assert decoded.payload.job_id == event.job_id


def test_a_renderers_long_failure_is_cut_to_the_contracts_bound():
    event = InvoiceRenderFailed(uuid.uuid4(), "INV-1", SNAPSHOT_SHA, "Traceback " * 100_000)

    envelope = Envelope.wrap(to_wire(event), tenant_id="acme")

    reason = decode(INVOICING_EVENTS, envelope.to_json()).payload.reason
    assert reason.startswith("Traceback Traceback")
    assert len(reason) == 2000

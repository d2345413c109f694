"""What issue 16 added to the printed invoice, read back from real WeasyPrint PDFs: the
title local law asks for, the seller's details with the tax id, the payments recorded,
the service date and the technician."""

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer
from jobline_invoicing.domain.rendering import Drawn

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def renderer():
    pool = ProcessPoolRenderer(workers=1)
    await pool.start()
    yield pool
    pool.close()


async def text_of(renderer: ProcessPoolRenderer, snapshot: dict[str, Any]) -> str:
    outcome = await renderer.draw(snapshot, None)
    assert isinstance(outcome, Drawn), outcome
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(outcome.pdf)).pages)


async def test_an_australian_invoice_is_a_tax_invoice_with_the_abn(renderer, snapshot):
    aud = {
        **snapshot,
        "currency": "AUD",
        "branding": {**snapshot["branding"], "locale": "en_AU"},
        "invoice_title": "Tax Invoice",
        "seller": {
            "phone": "+61 2 9000 1234",
            "email": "accounts@harbour.example",
            "tax_id": "51 824 753 556",
            "tax_id_label": "ABN",
        },
        "service_date": date(2025, 3, 17),
        "technician_name": "Kiri Walker",
    }
    text = await text_of(renderer, aud)
    for expected in (
        "Tax Invoice INV-2025-0042",
        "ABN 51 824 753 556",
        "+61 2 9000 1234",
        "accounts@harbour.example",
        "Service date",
        "17 Mar 2025",
        "Technician",
        "Kiri Walker",
    ):
        assert expected in text, expected


async def test_the_payments_recorded_are_listed_with_date_method_and_amount(renderer, snapshot):
    paid = {
        **snapshot,
        "payments": [
            {"paid_on": date(2025, 3, 18), "method": "card", "amount": Decimal("100.00")},
            {"paid_on": date(2025, 3, 25), "method": "bank_transfer", "amount": Decimal("30.37")},
        ],
        "amount_paid": Decimal("130.37"),
        "balance_due": Decimal("200.00"),
    }
    text = await text_of(renderer, paid)
    assert "PAYMENTS RECEIVED" in text  # the h2, upper-cased by the CSS
    for expected in ("Mar 18, 2025", "Card", "$100.00", "Mar 25, 2025", "Bank transfer", "$30.37"):
        assert expected in text, expected
    assert "Invoice INV-2025-0042" in text
    assert "Tax Invoice" not in text


async def test_a_snapshot_from_before_these_fields_still_renders(renderer, snapshot):
    old = {
        k: v
        for k, v in snapshot.items()
        if k not in {"invoice_title", "seller", "payments", "service_date", "technician_name"}
    }
    text = await text_of(renderer, old)
    assert "INV-2025-0042" in text
    assert "PAYMENTS RECEIVED" not in text

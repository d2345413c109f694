"""Invoices to render in tests: the golden render command and variations of its snapshot."""

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from jobline_contracts.codec import decode
from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import INVOICING_COMMANDS

ROOT = Path(__file__).resolve().parents[3]
GOLDEN_RENDER = ROOT / "contracts/examples/invoicing.commands.v1/invoice.render.v1.json"
THREE_PAGE_LINES = 60  # 45 to 75 lines of the golden kind lay out on three Letter pages


@pytest.fixture
def golden_raw() -> bytes:
    return GOLDEN_RENDER.read_bytes()


@pytest.fixture
def golden(golden_raw: bytes) -> Envelope[Any]:
    return decode(INVOICING_COMMANDS, golden_raw)


@pytest.fixture
def snapshot(golden: Envelope[Any]) -> dict[str, Any]:
    """The golden snapshot as plain data, as the service hands it to the template."""
    return golden.payload.snapshot.model_dump(mode="python")


@pytest.fixture
def subjob_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """J-10042-1: the 20 % deposit of J-10042, with the parent's whole schedule."""
    share = {
        "parent_job_number": "J-10042",
        "share_percent": Decimal("0.2"),
        "share_amount": Decimal("66.07"),
        "schedule": [
            {
                "job_number": "J-10042-1",
                "title": "Deposit",
                "amount": Decimal("66.07"),
                "bill_on": date(2025, 3, 18),
            },
            {
                "job_number": "J-10042-2",
                "title": "Completion",
                "amount": Decimal("264.30"),
                "bill_on": date(2025, 4, 17),
            },
        ],
    }
    line = {
        "description": "Deposit: 20 % of J-10042",
        "quantity": Decimal(1),
        "unit_price": Decimal("66.07"),
        "amount": Decimal("66.07"),
        "taxable": False,
    }
    money = {"subtotal": "66.07", "tax": "0.00", "total": "66.07", "balance_due": "66.07"}
    return {
        **snapshot,
        **{k: Decimal(v) for k, v in money.items()},
        "invoice_number": "INV-2025-0043",
        "job_number": "J-10042-1",
        "lines": [line],
        "billing_share": share,
    }


@pytest.fixture
def many_lines(snapshot: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
    """The golden snapshot with ``n`` numbered lines (the totals are not recomputed)."""

    def build(n: int) -> dict[str, Any]:
        lines = snapshot["lines"]
        bases = [lines[i % len(lines)] for i in range(n)]
        numbered = [
            {**base, "description": f"Item {i + 1:03d}: {base['description']}"}
            for i, base in enumerate(bases)
        ]
        return {**snapshot, "lines": numbered}

    return build


@pytest.fixture(scope="session")
def logo_png() -> bytes:
    image = Image.new("RGB", (240, 80), "#1f4e79")
    ImageDraw.Draw(image).rectangle((20, 20, 220, 60), outline="white", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

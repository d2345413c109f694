"""The list route writes its JSON with orjson; these pin it to the documented response model,
byte for byte, so the fast path can never drift from ``schemas.JobPage``."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from asyncpg.pgproto import pgproto

from jobline_jobs.entrypoints.api import presenters, schemas

pytestmark = pytest.mark.unit


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "job_id": pgproto.UUID(str(uuid4())),  # what asyncpg hands back, a uuid.UUID subclass
        "job_number": "J-10042",
        "summary": "Replace water heater — 50 gal",
        "step": "awaiting_payment",
        "scheduled_start": datetime(2026, 11, 26, 13, 30, tzinfo=UTC),
        "scheduled_end": datetime(2026, 11, 26, 15, 0, 0, 123456, tzinfo=UTC),
        "completed_at": datetime(2026, 11, 26, 14, 59, tzinfo=UTC),
        "deferred_at": None,
        "deferral_reason": None,
        "currency": "USD",
        "total": Decimal("1234.50"),
        "amount_paid": Decimal("0.00"),
        "scheduled_amount": Decimal("0.00"),
        "billable": True,
        "bill_on": None,
        "customer_id": uuid4(),
        "customer_name": 'Ava "Ace" Whitfield',
        "property_id": uuid4(),
        "property_address": "12 Elm St, Springfield",
        "technician_id": uuid4(),
        "technician_name": None,
    }
    return {**row, **overrides}


def _via_model(rows: list[dict[str, Any]], next_cursor: str | None) -> bytes:
    items = [schemas.JobRow(**presenters._row_fields(r)) for r in rows]
    return schemas.JobPage(items=items, next_cursor=next_cursor).model_dump_json().encode()


def test_the_fast_page_is_the_response_model_byte_for_byte() -> None:
    rows = [
        _row(),
        _row(
            completed_at=None,
            deferred_at=datetime(2026, 11, 25, 8, 7, 46, 561304, tzinfo=UTC),
            deferral_reason="Waiting for parts",
            total=Decimal("99.999"),
            amount_paid=Decimal("100"),
            customer_name=None,
        ),
        _row(deferred_at=datetime(2026, 1, 1, tzinfo=UTC), deferral_reason=None),
        _row(scheduled_amount=Decimal("1000.00"), amount_paid=Decimal("34.50")),  # a parent
        _row(billable=False, bill_on=date(2026, 12, 24)),  # a subjob due to bill later
        _row(step="canceled", invoice_stands=None),  # canceled: owes nothing
        _row(step="canceled", invoice_stands=True),  # its issued invoice still stands
    ]
    assert presenters.job_page_json(rows, "abc.def") == _via_model(rows, "abc.def")


def test_an_empty_last_page() -> None:
    assert presenters.job_page_json([], None) == _via_model([], None)

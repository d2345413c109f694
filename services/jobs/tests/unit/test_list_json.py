"""The list route writes its JSON from the rows with msgspec (``list_page``); these pin it
to the documented response model, byte for byte, so it can never drift from
``schemas.JobPage``, and its balance and bill date to ``job_state``'s rules."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from jobline_jobs.entrypoints.api import list_page, schemas
from jobline_jobs.service_layer.job_state import balance_due, due_to_bill_on
from jobline_jobs.service_layer.queries import PAGE_COLUMNS

pytestmark = pytest.mark.unit


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "job_id": str(uuid4()),  # the query hands ids back as text
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
        "customer_id": str(uuid4()),
        "customer_name": 'Ava "Ace" Whitfield',
        "property_id": str(uuid4()),
        "property_address": "12 Elm St, Springfield",
        "technician_id": str(uuid4()),
        "technician_name": None,
        "invoice_stands": None,
        "sort_key": "J-10042",
    }
    return {**row, **overrides}


def _page(rows: list[dict[str, Any]], next_cursor: str | None) -> bytes:
    """The page as the route writes it, from rows as the query returns them."""
    return list_page.page_json([tuple(r[c] for c in PAGE_COLUMNS) for r in rows], next_cursor)


def _via_model(rows: list[dict[str, Any]], next_cursor: str | None) -> bytes:
    items = [schemas.JobRow(**_fields(r)) for r in rows]
    return schemas.JobPage(items=items, next_cursor=next_cursor).model_dump_json().encode()


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    deferred = row["deferred_at"]
    return {
        "id": row["job_id"],
        "number": row["job_number"],
        "summary": row["summary"],
        "step": row["step"],
        "scheduled_start": row["scheduled_start"],
        "scheduled_end": row["scheduled_end"],
        "completed_at": row["completed_at"],
        "deferral": {"deferred_at": deferred, "reason": row["deferral_reason"]}
        if deferred
        else None,
        "customer": {"id": row["customer_id"], "name": row["customer_name"]},
        "property": {"id": row["property_id"], "name": row["property_address"]},
        "technician": {"id": row["technician_id"], "name": row["technician_name"]},
        "money": schemas.Money(
            currency=row["currency"],
            total=row["total"],
            amount_paid=row["amount_paid"],
            balance_due=balance_due(row),
        ),
        "due_to_bill_on": due_to_bill_on(row),
    }


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
    assert _page(rows, "abc.def") == _via_model(rows, "abc.def")


def test_an_empty_last_page() -> None:
    assert _page([], None) == _via_model([], None)

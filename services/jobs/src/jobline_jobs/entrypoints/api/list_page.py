"""The Jobs list page as JSON, written straight from the page's rows.

The list is the hottest route, and its JSON was the largest part of what the service adds
to the query: fifty pydantic models a page cost more than the query itself, and plain
dictionaries through orjson still half of it. These msgspec Structs are built positionally
from each row (``PAGE_COLUMNS`` order) and encoded in one C pass that writes ids, amounts,
times and dates as pydantic writes them; a unit test pins the bytes to ``schemas.JobPage``,
the documented model, so the two cannot drift.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from jobline_jobs.domain.workflow import Step

_NOTHING_OWED = Decimal("0.00")

# gc=False: no Struct here refers back to another, so the collector need not track the
# three hundred a page makes.


class _Party(msgspec.Struct, gc=False):
    id: str
    name: str | None


class _Deferral(msgspec.Struct, gc=False):
    deferred_at: datetime
    reason: str | None


class _Money(msgspec.Struct, gc=False):
    currency: str
    subtotal: None
    tax: None
    total: Decimal
    amount_paid: Decimal
    balance_due: Decimal


class _Row(msgspec.Struct, gc=False):
    id: str
    number: str
    summary: str
    step: str
    scheduled_start: datetime
    scheduled_end: datetime
    completed_at: datetime | None
    deferral: _Deferral | None
    customer: _Party
    property: _Party
    technician: _Party
    money: _Money
    due_to_bill_on: date | None


class _Page(msgspec.Struct, gc=False):
    items: list[_Row]
    next_cursor: str | None


_encoder = msgspec.json.Encoder()


def page_json(rows: Iterable[Iterable[Any]], next_cursor: str | None) -> bytes:
    """``schemas.JobPage`` of these rows (each in ``PAGE_COLUMNS`` order) as JSON."""
    return _encoder.encode(_Page([_row(r) for r in rows], next_cursor))


def _row(row: Iterable[Any]) -> _Row:
    """One item. ``balance_due`` and ``due_to_bill_on`` are ``job_state``'s rules written
    inline (the unit test holds them to those functions)."""
    (
        job_id, number, summary, step, starts, ends, completed_at, deferred_at, reason,
        currency, total, paid, scheduled, billable, bill_on,
        customer_id, property_id, technician_id, customer, address, technician,
        invoice_stands, _sort_key,
    ) = row  # fmt: skip
    owed = (
        _NOTHING_OWED if step == Step.CANCELED and not invoice_stands else total - scheduled - paid
    )
    return _Row(
        job_id,
        number,
        summary,
        step,
        starts,
        ends,
        completed_at,
        _Deferral(deferred_at, reason) if deferred_at else None,
        _Party(customer_id, customer),
        _Party(property_id, address),
        _Party(technician_id, technician),
        _Money(currency, None, None, total, paid, owed),
        None if billable else bill_on,
    )

"""The job snapshot of ``jobs.state.v1`` is the API's job detail, less the console's actions:
one builder (``service_layer.job_state``) makes both, and each sum in it is the detail's."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from jobline_contracts.state import JobState
from jobline_jobs.entrypoints.api import presenters, schemas
from jobline_jobs.service_layer.job_state import job_state

pytestmark = pytest.mark.unit

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def detail(**changes: Any) -> dict[str, Any]:
    """A job as ``JobDetails.job`` reads it: two lines, a visit, a contact each."""
    job_id, customer, prop, tech = uuid4(), uuid4(), uuid4(), uuid4()
    job: dict[str, Any] = {
        "job_id": job_id,
        "job_number": "J-1",
        "summary": "Replace water heater",
        "step": "awaiting_payment",
        "scheduled_start": AT,
        "scheduled_end": AT.replace(hour=17),
        "completed_at": AT.replace(hour=16),
        "deferred_at": None,
        "deferral_reason": None,
        "currency": "USD",
        "tax_rate": Decimal("0.0800"),
        "total": Decimal("1209.74"),
        "amount_paid": Decimal("200.00"),
        "scheduled_amount": Decimal("0.00"),
        "billable": True,
        "bill_on": None,
        "customer_id": customer,
        "customer_name": "Dana Whitfield",
        "property_id": prop,
        "property_address": "12 Elm Street, Denver, CO, 80202",
        "technician_id": tech,
        "technician_name": "Sam Ortiz",
        "billing_address": {
            "line1": "1 Main St",
            "line2": None,
            "city": "Denver",
            "region": "CO",
            "postal_code": "80202",
            "country": "US",
        },
        "property_address_parts": None,
        "parent_job_id": None,
        "share_amount": None,
        "invoice_issued": True,
        "invoice_stands": True,
        "contacts": [
            {
                "contact_id": uuid4(),
                "owner_kind": "customer",
                "name": "Dana Whitfield",
                "phone": "+15555550101",
                "email": "dana@example.com",
                "role": None,
            }
        ],
        "line_items": [
            {
                "line_id": uuid4(),
                "code": None,
                "description": "Water heater",
                "quantity": Decimal("1.000"),
                "unit_price": Decimal("899.99"),
                "taxable": True,
            },
            {
                "line_id": uuid4(),
                "code": "LAB",
                "description": "Labour",
                "quantity": Decimal("2.500"),
                "unit_price": Decimal("95.00"),
                "taxable": False,
            },
        ],
        "dispatches": [
            {
                "dispatch_id": uuid4(),
                "technician_id": tech,
                "technician_name": "Sam Ortiz",
                "window_start": AT,
                "window_end": AT.replace(hour=17),
                "status": "completed",
                "history": [
                    {"status": "scheduled", "at": "2026-12-01T14:00:00+00:00"},
                    {"status": "completed", "at": "2026-12-01T16:00:00.5+00:00"},
                ],
            }
        ],
        "subjobs": [],
        "recall_of": None,
        "recalls": [],
        "payments": [],
    }
    return job | changes


def parent_with_a_subjob() -> dict[str, Any]:
    subjob = {
        "job_id": uuid4(),
        "job_number": "J-1-1",
        "share_amount": Decimal("300.00"),
        "amount_paid": Decimal("120.00"),
    }
    return detail(scheduled_amount=Decimal("300.00"), subjobs=[subjob])


CASES = [
    pytest.param(detail(), id="plain"),
    pytest.param(
        detail(deferred_at=AT, deferral_reason="dispute", recalls=[uuid4()]), id="deferred"
    ),
    pytest.param(parent_with_a_subjob(), id="parent"),
    pytest.param(
        detail(parent_job_id=uuid4(), billable=False, bill_on=date(2026, 12, 20)), id="scheduled"
    ),
    pytest.param(detail(step="canceled", invoice_stands=False), id="canceled"),
]


@pytest.mark.parametrize("job", CASES)
def test_the_snapshot_is_the_api_detail_without_its_actions(job):
    api = json.loads(presenters.job_detail(job).model_dump_json())
    snapshot = json.loads(job_state(job).model_dump_json())

    assert api.pop("available_actions")
    assert snapshot == api


def test_the_snapshot_has_every_field_of_the_detail_but_the_actions():
    assert set(JobState.model_fields) == set(schemas.JobDetail.model_fields) - {"available_actions"}


def test_money_is_the_detail_s_sums():
    state = job_state(detail())

    # 899.99 + 2.5 x 95.00; the tax is what the stored total holds beyond the lines.
    assert state.money.subtotal == Decimal("1137.49")
    assert state.money.tax == Decimal("72.25")
    assert state.money.balance_due == Decimal("1009.74")
    assert [li.amount for li in state.line_items] == [Decimal("899.99"), Decimal("237.50")]


def test_a_parent_sums_its_subjobs_and_a_scheduled_subjob_says_when_it_bills():
    parent = job_state(parent_with_a_subjob())
    subjob = job_state(detail(parent_job_id=uuid4(), billable=False, bill_on=date(2026, 12, 20)))

    assert parent.staged_billing is not None
    assert parent.staged_billing.paid_on_subjobs == Decimal("120.00")
    assert parent.staged_billing.outstanding == Decimal("1209.74") - 200 - 120
    assert parent.money.balance_due == Decimal("1209.74") - 300 - 200
    assert subjob.due_to_bill_on == date(2026, 12, 20)


def test_a_canceled_job_owes_nothing_unless_its_invoice_stands():
    assert job_state(detail(step="canceled", invoice_stands=False)).money.balance_due == 0
    assert job_state(detail(step="canceled")).money.balance_due == Decimal("1009.74")


def test_parties_addresses_and_visits_are_named():
    job = detail()
    state = job_state(job)

    assert (state.customer.name, state.technician.name) == ("Dana Whitfield", "Sam Ortiz")
    assert state.billing_address is not None
    assert state.billing_address.city == "Denver"
    assert state.dispatches[0].technician.name == "Sam Ortiz"
    assert [h.status for h in state.dispatches[0].history] == ["scheduled", "completed"]
    assert state.id == job["job_id"]
    assert isinstance(state.id, UUID)

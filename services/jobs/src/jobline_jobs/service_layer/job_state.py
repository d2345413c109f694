"""The job as a whole: what ``GET /v1/jobs/{id}`` shows and ``jobs.state.v1`` carries.

One builder for both, so the snapshot other teams rebuild jobs from cannot drift from
the API's detail: the route adds only the console's ``available_actions``. ``job`` is a
job as ``JobDetailsQueries.job`` reads it (the list's row plus contacts, lines, visits,
subjobs and recall links); the outbox's snapshots are read into the same shape.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from jobline_contracts.state import JobState
from jobline_jobs.domain.money import to_cents
from jobline_jobs.domain.workflow import Step

ZERO = Decimal("0.00")


def statement_path(job_id: object) -> str:
    """Where a parent's statement is in the jobs API."""
    return f"/v1/jobs/{job_id}/statement"


def balance_due(row: Mapping[str, Any]) -> Decimal:
    """What the job itself has still to bill and collect: a parent's scheduled shares are
    its subjobs' to bill, so a parent's balance is what is left unscheduled, less what was
    paid on the parent itself (each dollar shows once across a parent and its subjobs).
    A canceled job owes nothing unless its invoice was issued (and not voided) before the
    cancel; then its balance stands until paid."""
    if row["step"] == Step.CANCELED and not row.get("invoice_stands"):
        return ZERO
    return Decimal(row["total"] - row["scheduled_amount"] - row["amount_paid"])


def due_to_bill_on(row: Mapping[str, Any]) -> date | None:
    """A scheduled subjob's date; None once (or if) the job is billable."""
    return None if row["billable"] else row["bill_on"]


def _lines(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": li["line_id"],
            "code": li["code"],
            "description": li["description"],
            "quantity": li["quantity"],
            "unit_price": li["unit_price"],
            "amount": to_cents(li["quantity"] * li["unit_price"]),
            "taxable": li["taxable"],
        }
        for li in job["line_items"]
    ]


def _visit(visit: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": visit["dispatch_id"],
        "technician": {"id": visit["technician_id"], "name": visit["technician_name"]},
        "arrival_window_start": visit["window_start"],
        "arrival_window_end": visit["window_end"],
        "status": visit["status"],
        "history": visit["history"],
    }


def _staged_billing(job: Mapping[str, Any]) -> dict[str, Any] | None:
    """A parent's subjobs in sum (its statement has the detail); None without subjobs."""
    if not job["subjobs"]:
        return None
    on_subjobs = sum((s["amount_paid"] for s in job["subjobs"]), ZERO)
    return {
        "scheduled": job["scheduled_amount"],
        "unscheduled": job["total"] - job["scheduled_amount"],
        "paid_on_job": job["amount_paid"],
        "paid_on_subjobs": on_subjobs,
        "outstanding": job["total"] - job["amount_paid"] - on_subjobs,
        "statement": statement_path(job["job_id"]),
    }


def job_state(job: Mapping[str, Any]) -> JobState:
    """The whole job (see the module)."""
    lines = _lines(job)
    subtotal = sum((li["amount"] for li in lines), ZERO)
    deferred_at = job["deferred_at"]
    return JobState.model_validate(
        {
            "id": job["job_id"],
            "number": job["job_number"],
            "summary": job["summary"],
            "step": job["step"],
            "scheduled_start": job["scheduled_start"],
            "scheduled_end": job["scheduled_end"],
            "completed_at": job["completed_at"],
            "deferral": {"deferred_at": deferred_at, "reason": job["deferral_reason"]}
            if deferred_at
            else None,
            "customer": {"id": job["customer_id"], "name": job["customer_name"]},
            "property": {"id": job["property_id"], "name": job["property_address"]},
            "technician": {"id": job["technician_id"], "name": job["technician_name"]},
            # The stored total is the authority: a subjob's tax is its share's tax part,
            # not a rate applied to its one line.
            "money": {
                "currency": job["currency"],
                "subtotal": subtotal,
                "tax": job["total"] - subtotal,
                "total": job["total"],
                "amount_paid": job["amount_paid"],
                "balance_due": balance_due(job),
            },
            "due_to_bill_on": due_to_bill_on(job),
            "tax_rate": job["tax_rate"],
            "billing_address": job["billing_address"],
            "property_address": job["property_address_parts"],
            "contacts": [
                {
                    "id": c["contact_id"],
                    "belongs_to": c["owner_kind"],
                    "name": c["name"],
                    "phone": c["phone"],
                    "email": c["email"],
                    "role": c["role"],
                }
                for c in job["contacts"]
            ],
            "line_items": lines,
            "dispatches": [_visit(v) for v in job["dispatches"]],
            "parent_job_id": job["parent_job_id"],
            "subjob_ids": [s["job_id"] for s in job["subjobs"]],
            "recall_of": job["recall_of"],
            "recalls": job["recalls"],
            "staged_billing": _staged_billing(job),
        }
    )

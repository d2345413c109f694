"""Read-model rows → response models."""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from jobline_jobs.domain import commands
from jobline_jobs.domain.actions import JobFacts, available_actions
from jobline_jobs.domain.money import to_cents
from jobline_jobs.domain.workflow import Step
from jobline_jobs.entrypoints.api import schemas, statements
from jobline_jobs.entrypoints.api.statements import BILLED


def job_page_json(rows: Sequence[Mapping[str, Any]], next_cursor: str | None) -> bytes:
    """``schemas.JobPage`` as JSON, byte for byte, without building fifty models.

    The list is the hottest route: validating rows that PostgreSQL already typed cost more
    than the query itself. orjson writes the same bytes pydantic would (UTC as ``Z``);
    ids and amounts are turned into strings here, as a ``default=`` hook called back for
    each of them cost another tenth. A unit test pins the two together.
    """
    page = {"items": [_plain_row(r) for r in rows], "next_cursor": next_cursor}
    return orjson.dumps(page, option=orjson.OPT_UTC_Z)


def balance_due(row: Mapping[str, Any]) -> Decimal:
    """What the job itself has still to bill and collect: a parent's scheduled shares are
    its subjobs' to bill, so a parent's balance is what is left unscheduled, less what was
    paid on the parent itself (each dollar shows once across a parent and its subjobs).
    A canceled job owes nothing unless its invoice was issued (and not voided) before the
    cancel; then its balance stands until paid."""
    if row["step"] == Step.CANCELED and not row.get("invoice_stands"):
        return Decimal("0.00")
    return Decimal(row["total"] - row["scheduled_amount"] - row["amount_paid"])


def due_to_bill_on(row: Mapping[str, Any]) -> date | None:
    """A scheduled subjob's date; None once (or if) the job is billable."""
    return None if row["billable"] else row["bill_on"]


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One item of the page. ``balance_due`` and ``due_to_bill_on`` written inline: two
    calls and a Decimal copy a row were a fifth of the page's cost (the unit test holds
    them to the functions)."""
    deferred_at, total, paid = row["deferred_at"], row["total"], row["amount_paid"]
    if row["step"] == Step.CANCELED and not row.get("invoice_stands"):
        balance = "0.00"
    else:
        balance = str(total - row["scheduled_amount"] - paid)
    return {
        "id": str(row["job_id"]),
        "number": row["job_number"],
        "summary": row["summary"],
        "step": row["step"],
        "scheduled_start": row["scheduled_start"],
        "scheduled_end": row["scheduled_end"],
        "completed_at": row["completed_at"],
        "deferral": {"deferred_at": deferred_at, "reason": row["deferral_reason"]}
        if deferred_at
        else None,
        "customer": {"id": str(row["customer_id"]), "name": row["customer_name"]},
        "property": {"id": str(row["property_id"]), "name": row["property_address"]},
        "technician": {"id": str(row["technician_id"]), "name": row["technician_name"]},
        "money": {
            "currency": row["currency"],
            "subtotal": None,
            "tax": None,
            "total": str(total),
            "amount_paid": str(paid),
            "balance_due": balance,
        },
        "due_to_bill_on": None if row["billable"] else row["bill_on"],
    }


def _row_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    deferral = (
        schemas.Deferral(deferred_at=row["deferred_at"], reason=row["deferral_reason"])
        if row["deferred_at"]
        else None
    )
    return {
        "id": row["job_id"],
        "number": row["job_number"],
        "summary": row["summary"],
        "step": row["step"],
        "scheduled_start": row["scheduled_start"],
        "scheduled_end": row["scheduled_end"],
        "completed_at": row["completed_at"],
        "deferral": deferral,
        "customer": schemas.Party(id=row["customer_id"], name=row["customer_name"]),
        "property": schemas.Party(id=row["property_id"], name=row["property_address"]),
        "technician": schemas.Party(id=row["technician_id"], name=row["technician_name"]),
        "money": schemas.Money(
            currency=row["currency"],
            total=row["total"],
            amount_paid=row["amount_paid"],
            balance_due=balance_due(row),
        ),
        "due_to_bill_on": due_to_bill_on(row),
    }


def dispatch(visit: dict[str, Any]) -> schemas.DispatchRecord:
    return schemas.DispatchRecord(
        id=visit["dispatch_id"],
        technician=schemas.Party(id=visit["technician_id"], name=visit["technician_name"]),
        arrival_window_start=visit["window_start"],
        arrival_window_end=visit["window_end"],
        status=visit["status"],
        history=[schemas.StatusChange(**h) for h in visit["history"]],
    )


def invoiceable(job: dict[str, Any]) -> bool:
    """Whether the job's invoice may be downloaded or attached now: once it is issued."""
    return bool(job.get("invoice_issued"))


def billed_by_subjobs(job: dict[str, Any]) -> bool:
    """A parent whose whole total is scheduled into subjobs: the subjobs bill it, so it
    has a statement rather than an invoice for its total."""
    return bool(job["subjobs"]) and job["scheduled_amount"] >= job["total"]


def job_detail(job: dict[str, Any]) -> schemas.JobDetail:
    lines = [
        commands.LineItem(
            li["line_id"],
            li["code"],
            li["description"],
            li["quantity"],
            li["unit_price"],
            li["taxable"],
        )
        for li in job["line_items"]
    ]
    subtotal = sum((to_cents(li.quantity * li.unit_price) for li in lines), Decimal("0.00"))
    fields = _row_fields(job)
    # The stored total is the authority: a subjob's tax is its share's tax part, not a
    # rate applied to its one line.
    fields["money"] = fields["money"].model_copy(
        update={"subtotal": subtotal, "tax": job["total"] - subtotal}
    )
    contacts = job["contacts"]
    facts = JobFacts(
        step=Step(job["step"]),
        deferred=job["deferred_at"] is not None,
        is_subjob=job["parent_job_id"] is not None,
        is_recall=job["recall_of"] is not None,
        fully_scheduled=sum((s["share_amount"] for s in job["subjobs"]), Decimal(0))
        >= job["total"],
        has_line_items=bool(lines),
        has_email_contact=any(c["email"] for c in contacts),
        has_reachable_contact=any(c["email"] or c["phone"] for c in contacts),
        billed_by_subjobs=billed_by_subjobs(job),
        due_to_bill_on=due_to_bill_on(job),
        invoice_issued=invoiceable(job),
    )
    return schemas.JobDetail(
        **fields,
        tax_rate=job["tax_rate"],
        billing_address=job["billing_address"],
        property_address=job["property_address_parts"],
        contacts=[
            schemas.Contact(
                id=c["contact_id"],
                belongs_to=c["owner_kind"],
                name=c["name"],
                phone=c["phone"],
                email=c["email"],
                role=c["role"],
            )
            for c in contacts
        ],
        line_items=[
            schemas.LineItem(
                id=li.line_id,
                code=li.code,
                description=li.description,
                quantity=li.quantity,
                unit_price=li.unit_price,
                amount=to_cents(li.quantity * li.unit_price),
                taxable=li.taxable,
            )
            for li in lines
        ],
        dispatches=[dispatch(v) for v in job["dispatches"]],
        parent_job_id=job["parent_job_id"],
        subjob_ids=[s["job_id"] for s in job["subjobs"]],
        recall_of=job["recall_of"],
        recalls=job["recalls"],
        staged_billing=statements.summary(job) if job["subjobs"] else None,
        available_actions=[
            schemas.ActionAvailability(action=a.action, allowed=a.allowed, reason=a.reason)
            for a in available_actions(facts)
        ],
    )


def billing_schedule(schedule: dict[str, Any]) -> schemas.BillingSchedule:
    subjobs = [
        schemas.Subjob(
            id=s["job_id"],
            number=s["job_number"],
            title=s["title"],
            percent=s["share_percent"],
            amount=s["share_amount"],
            bill_on=s["bill_on"],
            step=s["step"],
            billed=Step(s["step"]) in BILLED,
            tax=s["share_tax"],
            billable=s["billable"],
        )
        for s in schedule["subjobs"]
    ]
    scheduled = sum((s.amount for s in subjobs), Decimal("0.00"))
    billed = sum((s.amount for s in subjobs if s.billed), Decimal("0.00"))
    total = schedule["total"]
    return schemas.BillingSchedule(
        parent_id=schedule["job_id"],
        parent_number=schedule["job_number"],
        currency=schedule["currency"],
        total=total,
        scheduled=scheduled,
        unscheduled=total - scheduled,
        billed=billed,
        unbilled=total - billed,
        subjobs=subjobs,
    )

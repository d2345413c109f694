"""A parent's statement: its billing schedule, what each stage billed and was paid, and
what remains. A parent fully scheduled into subjobs is billed by them, never invoiced for
its total: its statement stands where its invoice would."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jobline_jobs.domain.money import to_cents
from jobline_jobs.domain.workflow import Step
from jobline_jobs.entrypoints.api.deps import PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.service_layer.job_state import statement_path

router = APIRouter(tags=["invoices"])

BILLED = frozenset({Step.AWAITING_PAYMENT, Step.PAID})
ZERO = Decimal("0.00")


class Stage(BaseModel):
    id: UUID
    number: str
    title: str
    percent: Decimal | None = Field(description="The share as given, in %")
    amount: Decimal = Field(description="Its share of the parent's tax-inclusive total")
    tax: Decimal = Field(description="The tax part of amount")
    bill_on: date
    billable: bool = Field(description="False while it is scheduled, until bill_on")
    step: Step
    billed: Decimal = Field(description="What its invoice billed (0 until it went out)")
    paid: Decimal
    balance_due: Decimal


class Statement(BaseModel):
    job_id: UUID
    job_number: str
    currency: str
    total: Decimal
    tax: Decimal
    fully_scheduled: bool = Field(description="Billed by its subjobs alone: no invoice")
    scheduled: Decimal
    unscheduled: Decimal = Field(description="What the parent bills itself")
    unscheduled_tax: Decimal
    billed: Decimal = Field(description="What the stages' invoices billed")
    paid_on_job: Decimal
    paid_on_subjobs: Decimal
    paid: Decimal
    outstanding: Decimal = Field(description="total - paid: what the customer still owes")
    stages: list[Stage]


def _stage(s: Mapping[str, Any]) -> Stage:
    billed = s["share_amount"] if Step(s["step"]) in BILLED else ZERO
    return Stage(
        id=s["job_id"],
        number=s["job_number"],
        title=s["title"],
        percent=s["share_percent"],
        amount=s["share_amount"],
        tax=s["share_tax"],
        bill_on=s["bill_on"],
        billable=s["billable"],
        step=s["step"],
        billed=billed,
        paid=s["amount_paid"],
        balance_due=s["total"] - s["amount_paid"],
    )


def statement(job: Mapping[str, Any]) -> Statement:
    """The statement of a parent (``job`` as ``JobDetails.job`` reads it)."""
    stages = [_stage(s) for s in job["subjobs"]]
    subtotal = sum((to_cents(li["quantity"] * li["unit_price"]) for li in job["line_items"]), ZERO)
    total, tax = job["total"], job["total"] - subtotal
    scheduled = sum((s.amount for s in stages), ZERO)
    on_subjobs = sum((s.paid for s in stages), ZERO)
    return Statement(
        job_id=job["job_id"],
        job_number=job["job_number"],
        currency=job["currency"],
        total=total,
        tax=tax,
        fully_scheduled=scheduled >= total,
        scheduled=scheduled,
        unscheduled=total - scheduled,
        unscheduled_tax=tax - sum((s.tax for s in stages), ZERO),
        billed=sum((s.billed for s in stages), ZERO),
        paid_on_job=job["amount_paid"],
        paid_on_subjobs=on_subjobs,
        paid=job["amount_paid"] + on_subjobs,
        outstanding=total - job["amount_paid"] - on_subjobs,
        stages=stages,
    )


@router.get(
    "/v1/jobs/{job_id}/statement",
    response_model=Statement,
    responses=responses(401, 404, 409, 422),
    summary="A parent's statement: its schedule, what each stage billed and was paid",
)
async def get_statement(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Statement:
    job = await rt.details.job(who.tenant_id, job_id)
    if job is None:
        raise not_found("job")
    if job["parent_job_id"] is not None:
        parent = job["parent_job_id"]
        raise ApiError(
            409,
            "statement_of_parent",
            f"job {job['job_number']} is a subjob; its parent's statement lists it",
            {"statement": statement_path(parent)},
        )
    if not job["subjobs"]:
        raise ApiError(
            409,
            "no_statement",
            f"job {job['job_number']} has no subjobs: it is billed by its own invoice",
        )
    return statement(job)

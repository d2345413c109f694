"""The job's invoice: issued by the operator's action (or upstream's job.invoiced), then
read as frozen — its figures and its PDF. Reading never assigns anything."""

import asyncio
import hashlib
import time
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from jobline_contracts.invoicing import InvoiceSnapshot
from jobline_jobs.domain import commands
from jobline_jobs.entrypoints.api.commanding import Answer, actor, execute, idempotent, now
from jobline_jobs.entrypoints.api.deps import ApiRuntime, OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.staged_invoices import refuse_staged
from jobline_jobs.service_layer.queries import Principal

router = APIRouter(tags=["invoices"])


class PdfState(BaseModel):
    status: Literal["ready", "rendering", "failed", "not_requested"]
    sha256: str | None = None
    pages: int | None = None
    bytes: int | None = None
    reason: str | None = None


class CreditNote(BaseModel):
    number: str = Field(examples=["CN-000001"])
    issued_on: date = Field(description="The day of the change, in the tenant's time zone")
    amount: Decimal = Field(description="Credited, tax included")
    tax: Decimal = Field(description="The tax part of amount")
    revision: int = Field(description="The invoice revision it credits")
    cause: str


class Invoice(BaseModel):
    invoice_number: str
    revision: int = Field(description="1 when issued; each later change freezes the next")
    status: Literal["issued", "voided"]
    paid: bool = Field(description="The balance of the current revision reached 0")
    voided_reason: str | None = None
    snapshot: InvoiceSnapshot
    snapshot_sha256: str
    billed: Decimal = Field(
        description="What the invoice bills now: the revision's total less its credit notes"
    )
    balance_due: Decimal = Field(description="What is left to pay of billed")
    credit_notes: list[CreditNote] = Field(
        description="Under the credit-note convention: each credit note issued against"
        " this invoice, in issue order (the snapshot stays as the revision froze it)"
    )
    pdf: PdfState


class IssueRequest(BaseModel):
    due_on: date | None = Field(
        default=None, description="Default: the tenant's payment terms after today"
    )


NOT_ISSUED = (
    "the job's invoice is not issued: an invoice is issued by upstream's job.invoiced"
    " or the Issue invoice action on a job awaiting billing"
)


async def _issued(rt: ApiRuntime, who: Principal, job_id: UUID) -> dict[str, Any]:
    """The job's issued invoice as frozen; 404 (not issued) otherwise. Assigns nothing."""
    invoice = await rt.invoices.issued(who.tenant_id, job_id)
    if invoice is None:
        job = await rt.details.job(who.tenant_id, job_id)
        if job is None:
            raise not_found("job")
        refuse_staged(job)  # 409 with the reason when staged billing bills it otherwise
        raise ApiError(404, "not_issued", NOT_ISSUED)
    return invoice


async def _current(rt: ApiRuntime, who: Principal, job_id: UUID) -> tuple[InvoiceSnapshot, str]:
    invoice = await _issued(rt, who, job_id)
    return InvoiceSnapshot.model_validate(invoice["snapshot"]), invoice["snapshot_sha256"]


async def _answer(rt: ApiRuntime, who: Principal, job_id: UUID) -> Invoice:
    invoice = await _issued(rt, who, job_id)
    render = await rt.invoices.render(who.tenant_id, job_id, invoice["snapshot_sha256"])
    return Invoice(**invoice, pdf=_state(render))


_PDF_STATUS: dict[str, Literal["ready", "rendering", "failed"]] = {
    "requested": "rendering",
    "rendered": "ready",
    "failed": "failed",
}


def _state(render: dict[str, Any] | None) -> PdfState:
    if render is None:
        return PdfState(status="not_requested")
    return PdfState(
        status=_PDF_STATUS[render["status"]],
        sha256=render["pdf_sha256"],
        pages=render["pages"],
        bytes=render["bytes"],
        reason=render["reason"],
    )


@router.get(
    "/v1/jobs/{job_id}/invoice",
    response_model=Invoice,
    responses=responses(401, 404, 409, 422),
    summary="The job's issued invoice, as its current revision froze it (404 not issued)",
)
async def get_invoice(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Invoice:
    return await _answer(rt, who, job_id)


@router.post(
    "/v1/jobs/{job_id}/invoice",
    response_model=Invoice,
    status_code=201,
    responses=responses(401, 403, 404, 409, 422),
    summary="Issue the invoice of a job awaiting billing (numbered now, in issue order)",
)
async def issue_invoice(
    job_id: UUID,
    request: Request,
    who: OperatorDep,
    rt: RuntimeDep,
    body: IssueRequest | None = None,
) -> JSONResponse:
    due_on = body.due_on if body else None

    async def act() -> Answer:
        command = commands.IssueInvoice(who.tenant_id, now(), job_id, due_on=due_on, by=actor(who))
        await execute(rt, who, command)
        return 201, await _answer(rt, who, job_id)

    return await idempotent(request, rt, who, act)


@router.get(
    "/v1/jobs/{job_id}/invoice.pdf",
    responses={
        **responses(401, 404, 409, 422),
        200: {"content": {"application/pdf": {}}, "description": "The current PDF"},
        202: {"description": "Rendering; try again after Retry-After seconds"},
        502: {"description": "The invoicing service could not render it"},
    },
    response_class=Response,
    summary="The PDF of the job's issued invoice, rendered from its frozen snapshot",
)
async def get_invoice_pdf(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Response:
    snapshot, sha = await _current(rt, who, job_id)
    render = await _rendered(rt, who, job_id, snapshot, sha)
    if render is None:
        return JSONResponse(
            {"status": "rendering", "snapshot_sha256": sha}, 202, headers={"Retry-After": "2"}
        )
    pdf = await rt.blobs.get(render["blob_key"])
    if hashlib.sha256(pdf).hexdigest() != render["pdf_sha256"]:
        raise ApiError(502, "render_corrupt", "the stored PDF does not match its digest")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "ETag": f'"{render["pdf_sha256"]}"',
            "Content-Disposition": f'inline; filename="{snapshot.invoice_number}.pdf"',
        },
    )


async def _rendered(
    rt: ApiRuntime, who: Principal, job_id: UUID, snapshot: InvoiceSnapshot, sha: str
) -> dict[str, Any] | None:
    """The render of this snapshot, asked for once and awaited a few seconds; None if it
    is not ready by then; ApiError if rendering failed."""
    render = await rt.invoices.render(who.tenant_id, job_id, sha)
    if render is None:
        await _request_render(rt, who, job_id, snapshot, sha)
    deadline = time.monotonic() + rt.invoice_wait
    while render is None or render["status"] == "requested":
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.1)
        render = await rt.invoices.render(who.tenant_id, job_id, sha)
    if render["status"] == "failed":
        raise ApiError(
            502, "render_failed", f"the invoice could not be rendered: {render['reason']}"
        )
    return render


async def _request_render(
    rt: ApiRuntime, who: Principal, job_id: UUID, snapshot: InvoiceSnapshot, sha: str
) -> None:
    command = commands.RequestInvoiceRender(
        who.tenant_id,
        now(),
        job_id,
        job_number=snapshot.job_number,
        snapshot_sha256=sha,
        snapshot=snapshot.model_dump(mode="json"),
    )
    try:
        await execute(rt, who, command, effect=False)
    except ApiError as refusal:
        if refusal.status != 409:  # 409: asked for already (concurrent downloads race)
            raise


async def current_pdf(rt: ApiRuntime, who: Principal, job_id: UUID) -> commands.InvoicePdf:
    """The current invoice PDF's facts, rendering it first if needed (503 if not ready)."""
    snapshot, sha = await _current(rt, who, job_id)
    render = await _rendered(rt, who, job_id, snapshot, sha)
    if render is None:
        raise ApiError(
            503,
            "invoice_rendering",
            "the invoice PDF is still being rendered; try again in a few seconds",
            headers={"Retry-After": "2"},
        )
    return commands.InvoicePdf(
        number=snapshot.invoice_number,
        snapshot_sha256=sha,
        pdf_sha256=render["pdf_sha256"],
        blob_key=render["blob_key"],
        size_bytes=render["bytes"],
    )

"""The job's invoice: its figures, and its PDF — always for the job as it is now."""

import asyncio
import hashlib
import time
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jobline_contracts.invoicing import InvoiceSnapshot
from jobline_jobs.domain import commands
from jobline_jobs.entrypoints.api.commanding import execute, now
from jobline_jobs.entrypoints.api.deps import ApiRuntime, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.invoice_snapshot import build_snapshot, canonical_sha256
from jobline_jobs.entrypoints.api.presenters import invoiceable
from jobline_jobs.entrypoints.api.staged_invoices import refuse_staged
from jobline_jobs.service_layer.queries import Principal

router = APIRouter(tags=["invoices"])


class PdfState(BaseModel):
    status: Literal["ready", "rendering", "failed", "not_requested"]
    sha256: str | None = None
    pages: int | None = None
    bytes: int | None = None
    reason: str | None = None


class Invoice(BaseModel):
    snapshot: InvoiceSnapshot
    snapshot_sha256: str
    pdf: PdfState


async def _current(rt: ApiRuntime, who: Principal, job_id: UUID) -> tuple[InvoiceSnapshot, str]:
    job = await rt.details.job(who.tenant_id, job_id)
    if job is None:
        raise not_found("job")
    refuse_staged(job)
    if not invoiceable(job):
        raise ApiError(
            409,
            "no_invoice",
            f"the job is {job['step']}; its invoice exists once the work passed quality check",
        )
    schedule: list[dict[str, Any]] = []
    parent_number = None
    if job["parent_job_id"] is not None:
        parent = await rt.details.billing_schedule(who.tenant_id, job["parent_job_id"])
        if parent is not None:
            schedule, parent_number = parent["subjobs"], parent["job_number"]
    header = await rt.invoices.header(who.tenant_id, job_id)
    if header is None:  # numbered on first need
        await execute(rt, who, commands.NumberInvoice(who.tenant_id, now(), job_id), effect=False)
        header = await rt.invoices.header(who.tenant_id, job_id)
        if header is None:
            raise not_found("job")  # deleted meanwhile
    tenant = await rt.invoices.tenant(who.tenant_id)
    snapshot = build_snapshot(job, tenant, header, schedule, parent_number)
    return snapshot, canonical_sha256(snapshot)


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
    summary="The job's invoice, as it is now",
)
async def get_invoice(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Invoice:
    snapshot, sha = await _current(rt, who, job_id)
    render = await rt.invoices.render(who.tenant_id, job_id, sha)
    return Invoice(snapshot=snapshot, snapshot_sha256=sha, pdf=_state(render))


@router.get(
    "/v1/jobs/{job_id}/invoice.pdf",
    responses={
        **responses(401, 404, 409, 422),
        200: {"content": {"application/pdf": {}}, "description": "The current PDF"},
        202: {"description": "Rendering; try again after Retry-After seconds"},
        502: {"description": "The invoicing service could not render it"},
    },
    response_class=Response,
    summary="The PDF of the job's invoice as it is now (never a stale render)",
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

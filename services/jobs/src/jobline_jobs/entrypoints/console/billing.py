"""Staged billing (subjobs) and recall links with their chargeback."""

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"


async def _schedule(c: Console, job_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = await c.api.get(f"/v1/jobs/{job_id}/subjobs")
    return found


def _today(c: Console) -> str:
    return datetime.now(ZoneInfo(c.who.time_zone)).date().isoformat()


@router.get(f"{JOB}/subjobs")
async def subjob_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job, schedule = await job_of(c, job_id), await _schedule(c, job_id)
    form = {"share_kind": "percent", "bill_on": _today(c)}
    return dialog(request, c, job, "subjobs.html", "Create subjob", schedule=schedule, form=form)


@router.post(f"{JOB}/subjobs")
async def create_subjob(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    form = {k: one(fields, k) for k in ("title", "share_kind", "share", "bill_on")}
    kind = "amount" if form["share_kind"] == "amount" else "percent"
    request_body = {
        "title": form["title"],
        "share": {kind: form["share"] or None},
        "bill_on": form["bill_on"] or None,
    }
    job = await job_of(c, job_id)
    try:
        schedule = await c.api.post(f"/v1/jobs/{job_id}/subjobs", request_body)
    except ApiRefusal as refusal:
        schedule = await _schedule(c, job_id)
        return body(
            request, c, job, "subjobs.html", refusal.status,
            error=refusal.message, schedule=schedule, form=form,
        )  # fmt: skip
    created = schedule["subjobs"][-1] if schedule["subjobs"] else None
    fresh = {"share_kind": kind, "bill_on": form["bill_on"]}
    return body(
        request, c, job, "subjobs.html", changed=True,
        schedule=schedule, form=fresh, created=created,
    )  # fmt: skip


@router.get(f"{JOB}/recall")
async def recall_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    return dialog(request, c, job, "recall.html", "Link recall job", form={})


@router.get(f"{JOB}/recall/preview")
async def recall_preview(
    job_id: UUID, request: Request, c: ConsoleDep, original_job_id: UUID | None = None
) -> HTMLResponse:
    """The chargeback linking to the picked job would record, before anything is recorded."""
    if original_job_id is None:
        return render(request, "recall_preview.html", preview=None, error=None)
    try:
        preview = await c.api.post(
            f"/v1/jobs/{job_id}/recall-link/preview", {"original_job_id": str(original_job_id)}
        )
    except ApiRefusal as refusal:
        return render(request, "recall_preview.html", preview=None, error=refusal.message)
    original = await job_of(c, original_job_id)
    return render(request, "recall_preview.html", preview=preview, original=original, error=None)


@router.post(f"{JOB}/recall")
async def link_recall(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    form = {k: one(fields, k) for k in ("original_job_id", "reason")}
    job = await job_of(c, job_id)
    if not form["original_job_id"]:
        error = "Choose the original job."
        return body(request, c, job, "recall.html", 422, error=error, form=form)
    try:
        linked = await c.api.post(f"/v1/jobs/{job_id}/recall-link", form)
    except ApiRefusal as refusal:
        return body(
            request, c, job, "recall.html", refusal.status, error=refusal.message, form=form
        )
    original = await job_of(c, UUID(linked["original_job_id"]))
    return body(request, c, job, "recall_done.html", changed=True, linked=linked, original=original)

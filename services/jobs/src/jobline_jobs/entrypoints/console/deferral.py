"""Deferring a job's commission (with a reason) and un-deferring it."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"


@router.get(f"{JOB}/defer")
async def defer_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    return dialog(request, c, job, "defer.html", "Defer commission", reason="")


@router.post(f"{JOB}/defer")
async def defer(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    reason = one(await form_of(request), "reason")
    try:
        job = await c.api.post(f"/v1/jobs/{job_id}/defer", {"reason": reason})
    except ApiRefusal as refusal:
        job = await job_of(c, job_id)
        return body(
            request, c, job, "defer.html", refusal.status, error=refusal.message, reason=reason
        )
    return body(request, c, job, "deferral_done.html", changed=True)


@router.get(f"{JOB}/undefer")
async def undefer_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    return dialog(request, c, job, "undefer.html", "Un-defer commission")


@router.post(f"{JOB}/undefer")
async def undefer(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    try:
        job = await c.api.post(f"/v1/jobs/{job_id}/undefer")
    except ApiRefusal as refusal:
        job = await job_of(c, job_id)
        return body(request, c, job, "undefer.html", refusal.status, error=refusal.message)
    return body(request, c, job, "deferral_done.html", changed=True)

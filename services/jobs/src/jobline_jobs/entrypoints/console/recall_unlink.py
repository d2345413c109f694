"""Unlinking a recall from its original job (with a reason): its chargeback is reversed."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"


@router.get(f"{JOB}/unlink")
async def unlink_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    original = await job_of(c, job["recall_of"]) if job["recall_of"] else None
    return dialog(request, c, job, "unlink.html", "Unlink recall", original=original, reason="")


@router.post(f"{JOB}/unlink")
async def unlink(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    reason = one(await form_of(request), "reason")
    before = await job_of(c, job_id)
    original = await job_of(c, before["recall_of"]) if before["recall_of"] else None
    try:
        job = await c.api.post(f"/v1/jobs/{job_id}/recall-link/unlink", {"reason": reason})
    except ApiRefusal as refusal:
        return body(
            request,
            c,
            before,
            "unlink.html",
            refusal.status,
            error=refusal.message,
            original=original,
            reason=reason,
        )
    return body(request, c, job, "unlink_done.html", changed=True, original=original)

"""Issuing a job's invoice (issue 16): a job awaiting billing gets its number now, in
issue order, and its snapshot frozen; the job moves to awaiting payment."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"


@router.get(f"{JOB}/issue")
async def issue_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    return dialog(request, c, job, "issue.html", "Issue invoice", due_on="")


@router.post(f"{JOB}/issue")
async def issue(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    due_on = one(await form_of(request), "due_on")
    try:
        invoice = await c.api.post(f"/v1/jobs/{job_id}/invoice", {"due_on": due_on or None})
    except ApiRefusal as refusal:
        job = await job_of(c, job_id)
        return body(
            request, c, job, "issue.html", refusal.status, error=refusal.message, due_on=due_on
        )
    job = await job_of(c, job_id)
    return body(request, c, job, "issue_done.html", changed=True, invoice=invoice)

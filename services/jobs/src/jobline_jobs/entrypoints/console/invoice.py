"""The invoice actions (download, resend) and the job's dispatches beside its invoice sends."""

import asyncio
import time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import RENDER_DEADLINE, ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"


@router.get(f"{JOB}/invoice.pdf")
async def download(job_id: UUID, request: Request, c: ConsoleDep) -> Response:
    """The API's current PDF; while it renders (202), ask again until the deadline."""
    deadline = time.monotonic() + RENDER_DEADLINE
    while (answer := await c.api.raw("GET", f"/v1/jobs/{job_id}/invoice.pdf")).status_code == 202:
        if time.monotonic() > deadline:
            message = "The invoice is still being rendered; try again in a few seconds."
            return render(request, "error.html", 503, {"Retry-After": "5"}, message=message)
        await asyncio.sleep(1)
    if answer.status_code != 200:
        error = answer.json()["error"]
        raise ApiRefusal(answer.status_code, error["code"], error["message"])
    name = answer.headers["content-disposition"].split("filename=")[-1]
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


async def _email_recipients(c: Console, job_id: UUID) -> list[dict[str, Any]]:
    people = (await c.api.get(f"/v1/jobs/{job_id}/recipients"))["items"]
    return [p for p in people if p["email"]]


@router.get(f"{JOB}/resend")
async def resend_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job, people = await job_of(c, job_id), await _email_recipients(c, job_id)
    invoice = (await c.api.get(f"/v1/jobs/{job_id}/invoice"))["snapshot"]
    return dialog(
        request,
        c,
        job,
        "resend.html",
        "Resend invoice",
        recipients=people,
        invoice=invoice,
        chosen=[],
    )


@router.post(f"{JOB}/resend")
async def resend(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    chosen, message = fields.get("recipient_ids", []), one(fields, "message")
    job = await job_of(c, job_id)
    request_body = {"recipient_ids": chosen, "message": message or None}
    try:
        sent = await c.api.post_rendered(f"/v1/jobs/{job_id}/invoice/sends", request_body)
    except ApiRefusal as refusal:
        people = await _email_recipients(c, job_id)
        invoice = (await c.api.get(f"/v1/jobs/{job_id}/invoice"))["snapshot"]
        return body(
            request, c, job, "resend.html", refusal.status, error=refusal.message,
            recipients=people, invoice=invoice, chosen=chosen, message=message,
        )  # fmt: skip
    communication = await c.api.get(f"/v1/communications/{sent['communication_id']}")
    return body(request, c, job, "sent.html", communication=communication)


async def _history(c: Console, job_id: UUID) -> dict[str, Any]:
    return {
        "dispatches": (await c.api.get(f"/v1/jobs/{job_id}/dispatches"))["items"],
        # The largest page: a job's invoice is rarely sent more than a few times.
        "sends": (await c.api.get(f"/v1/jobs/{job_id}/invoice/sends", limit=200))["items"],
    }


@router.get(f"{JOB}/dispatches")
async def dispatches_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    return dialog(
        request, c, job, "dispatches.html", "All invoice dispatches", **await _history(c, job_id)
    )


@router.get(f"{JOB}/dispatches/live")
async def dispatches_live(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    """The dialog's body again: the page polls it while the dialog is open."""
    return render(
        request,
        "dispatches.html",
        job={"id": job_id},
        zone=c.who.time_zone,
        **await _history(c, job_id),
    )

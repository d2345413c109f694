"""Texting and emailing the job's customer, and each communication's live status."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
JOB = "/console/jobs/{job_id}"

ATTACHMENT_GROUPS: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
    ("Progress photos", lambda a: a["kind"] == "progress_photo"),
    ("Finished photos", lambda a: a["kind"] == "finished_photo"),
    ("Job documents", lambda a: a["kind"] == "document" and a["source"] == "job"),
    ("Property documents", lambda a: a["kind"] == "document" and a["source"] == "property"),
    ("Invoice", lambda a: a["kind"] == "invoice"),
)


async def _recipients(c: Console, job_id: UUID) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await c.api.get(f"/v1/jobs/{job_id}/recipients"))["items"]
    return found


async def _attachments(c: Console, job_id: UUID) -> list[tuple[str, list[dict[str, Any]]]]:
    files = (await c.api.get(f"/v1/jobs/{job_id}/attachments"))["items"]
    return [(label, [f for f in files if fits(f)]) for label, fits in ATTACHMENT_GROUPS]


@router.get(f"{JOB}/text")
async def text_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job, people = await job_of(c, job_id), await _recipients(c, job_id)
    return dialog(request, c, job, "text.html", "Send a text message", recipients=people, chosen=[])


@router.post(f"{JOB}/text")
async def send_text(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    chosen, text = fields.get("recipient_ids", []), fields.get("body", [""])[0]
    job = await job_of(c, job_id)
    request_body = {"channel": "sms", "recipient_ids": chosen, "body": text}
    try:
        sent = await c.api.post(f"/v1/jobs/{job_id}/communications", request_body)
    except ApiRefusal as refusal:
        people = await _recipients(c, job_id)
        return body(
            request, c, job, "text.html", refusal.status,
            error=refusal.message, recipients=people, chosen=chosen, text=text,
        )  # fmt: skip
    return await _sent(request, c, job, sent["communication_id"])


@router.get(f"{JOB}/email")
async def email_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job, people = await job_of(c, job_id), await _recipients(c, job_id)
    groups = await _attachments(c, job_id)
    return dialog(
        request, c, job, "email.html", "Send an email", recipients=people, groups=groups, chosen=[]
    )


@router.post(f"{JOB}/email")
async def send_email(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    chosen, picked = fields.get("recipient_ids", []), fields.get("attachments", [])
    subject, text = one(fields, "subject"), fields.get("body", [""])[0]
    job = await job_of(c, job_id)
    request_body = {
        "channel": "email",
        "recipient_ids": chosen,
        "subject": subject,
        "body": text,
        "attachments": [dict(zip(("kind", "id"), p.split(":", 1), strict=False)) for p in picked],
    }
    try:
        sent = await c.api.post_rendered(f"/v1/jobs/{job_id}/communications", request_body)
    except ApiRefusal as refusal:
        people, groups = await _recipients(c, job_id), await _attachments(c, job_id)
        return body(
            request, c, job, "email.html", refusal.status, error=refusal.message,
            recipients=people, groups=groups, chosen=chosen + picked, subject=subject, text=text,
        )  # fmt: skip
    return await _sent(request, c, job, sent["communication_id"])


async def _sent(request: Request, c: Console, job: dict[str, Any], sent_id: str) -> HTMLResponse:
    communication = await c.api.get(f"/v1/communications/{sent_id}")
    return body(request, c, job, "sent.html", communication=communication)


@router.get("/console/communications/{communication_id}")
async def communication_status(
    communication_id: UUID, request: Request, c: ConsoleDep
) -> HTMLResponse:
    """One communication's per-recipient status; the page polls it until none is pending."""
    communication = await c.api.get(f"/v1/communications/{communication_id}")
    return render(request, "communication.html", communication=communication)

"""Texting and emailing the job's customer, and each communication's live status."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import body, dialog, form_of, job_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep
from jobline_jobs.entrypoints.console.writing import NoSendTime, aids, send_at

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


def _writing(fields: dict[str, list[str]]) -> dict[str, Any]:
    """What the operator chose of punctuation and time, shown again with a refusal."""
    return {
        "plain": "plain_punctuation" in fields,
        "when": fields.get("when", ["now"])[0],
        "send_at_typed": fields.get("send_at", [""])[0],
    }


async def _post(
    c: Console, job_id: UUID, fields: dict[str, list[str]], request_body: dict[str, Any]
) -> dict[str, Any]:
    """Send (or schedule) through the API; the console always asks for merge fields."""
    try:
        at = send_at(fields, c.who.time_zone, datetime.now(UTC))
    except NoSendTime as why:
        raise ApiRefusal(422, "invalid_send_at", str(why)) from why
    request_body = {**request_body, "merge_fields": True, "send_at": at}
    return await c.api.post_rendered(f"/v1/jobs/{job_id}/communications", request_body)


@router.get(f"{JOB}/text")
async def text_dialog(
    job_id: UUID, request: Request, c: ConsoleDep, to: str | None = None
) -> HTMLResponse:
    """``to``: the recipient chosen already (answering their reply, issue 20)."""
    job, people = await job_of(c, job_id), await _recipients(c, job_id)
    chosen = [p["id"] for p in people if p["id"] == to]
    return dialog(
        request, c, job, "text.html", "Send a text message",
        recipients=people, chosen=chosen, plain=True, when="now", **await aids(c, job_id, "sms"),
    )  # fmt: skip


@router.post(f"{JOB}/text")
async def send_text(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    chosen, text = fields.get("recipient_ids", []), fields.get("body", [""])[0]
    job = await job_of(c, job_id)
    request_body = {
        "channel": "sms",
        "recipient_ids": chosen,
        "body": text,
        "plain_punctuation": "plain_punctuation" in fields,
    }
    try:
        sent = await _post(c, job_id, fields, request_body)
    except ApiRefusal as refusal:
        people = await _recipients(c, job_id)
        return body(
            request, c, job, "text.html", refusal.status,
            error=refusal.message, recipients=people, chosen=chosen, text=text,
            **_writing(fields), **await aids(c, job_id, "sms"),
        )  # fmt: skip
    return await _sent(request, c, job, sent["communication_id"])


@router.get(f"{JOB}/email")
async def email_dialog(
    job_id: UUID,
    request: Request,
    c: ConsoleDep,
    to: str | None = None,
    subject: Annotated[str, Query(max_length=250)] = "",
) -> HTMLResponse:
    """``to`` and ``subject``: answering a reply (issue 20)."""
    job, people = await job_of(c, job_id), await _recipients(c, job_id)
    groups = await _attachments(c, job_id)
    chosen = [p["id"] for p in people if p["id"] == to]
    return dialog(
        request, c, job, "email.html", "Send an email", recipients=people, groups=groups,
        chosen=chosen, when="now", subject=" ".join(subject.split()) or None,
        **await aids(c, job_id, "email"),
    )  # fmt: skip


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
        sent = await _post(c, job_id, fields, request_body)
    except ApiRefusal as refusal:
        people, groups = await _recipients(c, job_id), await _attachments(c, job_id)
        return body(
            request, c, job, "email.html", refusal.status, error=refusal.message,
            recipients=people, groups=groups, chosen=chosen + picked, subject=subject, text=text,
            **_writing(fields), **await aids(c, job_id, "email"),
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
    return render(request, "communication.html", communication=communication, zone=c.who.time_zone)

"""Bulk actions on the rows an operator selected in the list: resend each job's invoice to
its email contacts, defer each job's commission, or text each job's contacts (``bulk_text``),
with a result per job.

Each job goes through the same API call its own dialog makes, one after another, so every
rule and refusal is the API's; one job's refusal does not stop the others.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console import bulk_text
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import form_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
MAX_JOBS = 200  # a page of the list at most
Fields = dict[str, list[str]]
Act = Callable[[Console, dict[str, Any], Fields], Awaitable[str]]


class _Skipped(Exception):
    """This job cannot take the action; the message says why."""


async def _resend(c: Console, job: dict[str, Any], _: Fields) -> str:
    people = (await c.api.get(f"/v1/jobs/{job['id']}/recipients"))["items"]
    emails = [p["id"] for p in people if p["email"]]
    if not emails:
        raise _Skipped("No customer or property contact has an email.")
    body = {"recipient_ids": emails, "message": None}
    await c.api.post_rendered(f"/v1/jobs/{job['id']}/invoice/sends", body)
    count = f"{len(emails)} contact{'s' if len(emails) > 1 else ''}"
    return f"Invoice sent to {count}; each delivery shows on the job's page."


async def _defer(c: Console, job: dict[str, Any], fields: Fields) -> str:
    await c.api.post(f"/v1/jobs/{job['id']}/defer", {"reason": one(fields, "reason")})
    return "Commission deferred."


ACTIONS: dict[str, tuple[str, Act]] = {
    "resend_invoice": ("Resend invoice", _resend),
    "defer_commission": ("Defer commission", _defer),
    "send_text": ("Send text", bulk_text.send_text),
}


@router.post("/console/jobs/bulk")
async def bulk(request: Request, c: ConsoleDep) -> HTMLResponse:
    fields = await form_of(request)
    action, reason = ACTIONS.get(one(fields, "action")), one(fields, "reason").strip()
    ids = list(dict.fromkeys(fields.get("job_ids", [])))[:MAX_JOBS]
    if action is None:
        return _refused(request, "Choose what to do with the selected jobs.")
    if not ids:
        return _refused(request, "Select at least one job in the list.")
    title, act = action
    if act is _defer and not reason:
        return _refused(request, "Give the reason for deferring their commission.")
    if act is bulk_text.send_text:
        message = await bulk_text.message_of(c, fields)
        if message is None:
            return _refused(request, "Write the text to send, or choose a template.")
        fields["message"] = [message]
    results = [await _one(c, UUID(job_id), act, fields) for job_id in ids if _is_uuid(job_id)]
    headers = {"HX-Trigger": "jobs-changed"}  # the list shows what changed
    return render(request, "bulk_results.html", headers=headers, title=title, results=results)


def _refused(request: Request, why: str) -> HTMLResponse:
    return render(request, "bulk_results.html", 422, error=why, results=[])


async def _one(
    c: Console,
    job_id: UUID,
    act: Act,
    fields: Fields,
) -> dict[str, Any]:
    try:
        job: dict[str, Any] = await c.api.get(f"/v1/jobs/{job_id}")
    except ApiRefusal as refusal:
        return {"number": str(job_id), "ok": False, "said": refusal.message}
    try:
        return {"number": job["number"], "ok": True, "said": await act(c, job, fields)}
    except ApiRefusal as refusal:
        return {"number": job["number"], "ok": False, "said": refusal.message}
    except (_Skipped, bulk_text.NoTextContact) as skipped:
        return {"number": job["number"], "ok": False, "said": str(skipped)}


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True

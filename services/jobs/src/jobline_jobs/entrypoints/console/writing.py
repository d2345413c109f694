"""Writing a message in the text and email dialogs (issue 18): the tenant's templates,
the job's merge values for the live preview, "Send now" or "Send at" in the tenant's zone,
and calling off a scheduled message."""

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.domain.plain_punctuation import PLAIN_FORMS
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)


class NoSendTime(ValueError):
    """The operator chose "Send at" without a time the console can read, or a past one."""


async def aids(c: Console, job_id: UUID, channel: str) -> dict[str, Any]:
    """What the dialog's template picker, preview and counter read."""
    templates = await c.api.get("/v1/tenant/templates", channel=channel)
    merge = await c.api.get(f"/v1/jobs/{job_id}/merge-fields")
    return {
        "templates": templates["items"],
        "merge_values": merge["values"],
        "merge_labels": merge["labels"],
        "plain_forms": PLAIN_FORMS,
    }


def send_at(fields: dict[str, list[str]], zone: str, now: datetime) -> str | None:
    """The API's ``send_at`` for the dialog's choice: None for "Send now"; for "Send at",
    the date-time typed in the tenant's zone (``NoSendTime`` if blank, unreadable or past)."""
    if fields.get("when", ["now"])[0] != "at":
        return None
    typed = fields.get("send_at", [""])[0].strip()
    try:
        local = datetime.fromisoformat(typed)
    except ValueError:
        raise NoSendTime("Choose the date and time to send at, or Send now.") from None
    at = local.replace(tzinfo=ZoneInfo(zone)) if local.tzinfo is None else local
    if at <= now:
        raise NoSendTime("That time has passed: choose a later one, or Send now.")
    return at.isoformat()


@router.post("/console/jobs/{job_id}/communications/{communication_id}/cancel")
async def cancel(
    job_id: UUID, communication_id: UUID, request: Request, c: ConsoleDep
) -> HTMLResponse:
    """Call the scheduled message off; the status section shows it canceled, or why not."""
    path = f"/v1/jobs/{job_id}/communications/{communication_id}/cancel"
    try:
        communication = await c.api.post(path)
    except ApiRefusal as refusal:
        communication = await c.api.get(f"/v1/communications/{communication_id}")
        return render(
            request,
            "communication.html",
            refusal.status,
            communication=communication,
            zone=c.who.time_zone,
            error=refusal.message,
        )
    return render(
        request,
        "communication.html",
        communication=communication,
        zone=c.who.time_zone,
        canceled=True,
    )

"""What every action dialog shares: loading the job, rendering a dialog or its body, and
reading the browser's form."""

from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console

# After an action the list reloads itself (it listens for this event).
CHANGED = {"HX-Trigger": "jobs-changed"}


async def job_of(c: Console, job_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = await c.api.get(f"/v1/jobs/{job_id}")
    return found


def dialog(
    request: Request,
    c: Console,
    job: dict[str, Any],
    body: str,
    title: str,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    """A whole ``<dialog>`` whose body is the template ``body``."""
    return render(
        request, "dialog.html", job=job, body=body, title=title, zone=c.who.time_zone, **context
    )


def body(
    request: Request,
    c: Console,
    job: dict[str, Any],
    name: str,
    status: int = 200,
    *,
    changed: bool = False,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    """A dialog's body again, after a POST: the result, or the form with the refusal."""
    headers = CHANGED if changed else None
    return render(request, name, status, headers, job=job, zone=c.who.time_zone, **context)


async def form_of(request: Request) -> dict[str, list[str]]:
    """The submitted form, every field as a list of strings (files are not accepted)."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            # Browsers submit a textarea's line breaks as CRLF; the operator typed LF.
            fields.setdefault(key, []).append(value.replace("\r\n", "\n"))
    return fields


def one(fields: dict[str, list[str]], name: str) -> str:
    return fields.get(name, [""])[0].strip()

"""The tenant's inbox of replies (issue 20): every customer's reply newest first, the
job it was filed under (or none), read or not; the navigation shows the unread count."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import form_of
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
PAGE = "/inbox"
PAGE_SIZE = 50


async def _page(request: Request, c: Console, status: int = 200, **extra: Any) -> HTMLResponse:  # noqa: ANN401 - whatever the template reads
    cursor = request.query_params.get("cursor")
    unread_only = request.query_params.get("unread") == "1"
    found = await c.api.get(
        "/v1/inbox", limit=PAGE_SIZE, cursor=cursor, unread_only="true" if unread_only else None
    )
    return render(
        request,
        "inbox.html",
        status,
        who=c.who,
        csrf=c.csrf,
        zone=c.who.time_zone,
        inbox=found,
        unread_only=unread_only,
        can_act=c.who.role != "viewer",
        **extra,
    )


@router.get(PAGE)
async def inbox_page(request: Request, c: ConsoleDep) -> HTMLResponse:
    return await _page(request, c)


@router.post("/console/inbox/read")
async def mark_read(request: Request, c: ConsoleDep) -> Response:
    fields = await form_of(request)
    ids = [i for i in fields.get("reply_ids", []) if _uuid(i)]
    try:
        await c.api.post("/v1/inbox/read", {"reply_ids": ids})
    except ApiRefusal as refusal:
        return await _page(request, c, refusal.status, error=refusal.message)
    return RedirectResponse(f"{PAGE}?read={len(ids)}", status_code=303)


@router.get("/console/inbox/count")
async def unread_count(c: ConsoleDep) -> HTMLResponse:
    """The navigation's count, polled: nothing when every reply is read."""
    unread = (await c.api.get("/v1/inbox", limit=1))["unread"]
    return HTMLResponse(f" ({unread} unread)" if unread else "")


def _uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True

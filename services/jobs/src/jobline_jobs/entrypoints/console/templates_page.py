"""The tenant's message templates page (issue 18): every role reads them, an admin adds,
changes and deletes them (the API decides; its refusals show on the page)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import form_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
PAGE = "/console/templates"
API = "/v1/tenant/templates"


def _template(fields: dict[str, list[str]]) -> dict[str, Any]:
    channel = one(fields, "channel")
    subject = one(fields, "subject") if channel == "email" else ""
    body = fields.get("body", [""])[0]
    return {
        "name": one(fields, "name"),
        "channel": channel,
        "subject": subject or None,
        "body": body,
    }


async def _page(
    request: Request,
    c: Console,
    status: int = 200,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    listed = await c.api.get(API)
    return render(
        request,
        "message_templates.html",
        status,
        who=c.who,
        csrf=c.csrf,
        templates=listed["items"],
        merge_fields=listed["merge_fields"],
        editable=c.who.role == "admin",
        zone=c.who.time_zone,
        **context,
    )


@router.get(PAGE)
async def templates_page(request: Request, c: ConsoleDep, edit: UUID | None = None) -> HTMLResponse:
    editing = await c.api.get(f"{API}/{edit}") if edit else None
    return await _page(request, c, editing=editing)


@router.post(PAGE)
async def add_template(request: Request, c: ConsoleDep) -> Response:
    wanted = _template(await form_of(request))
    try:
        await c.api.post(API, wanted)
    except ApiRefusal as refusal:
        return await _page(request, c, refusal.status, error=refusal.message, draft=wanted)
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


@router.post(PAGE + "/{template_id}")
async def change_template(template_id: UUID, request: Request, c: ConsoleDep) -> Response:
    wanted = _template(await form_of(request))
    try:
        await c.api.put(f"{API}/{template_id}", wanted)
    except ApiRefusal as refusal:
        editing = {**wanted, "id": str(template_id)}
        return await _page(request, c, refusal.status, error=refusal.message, editing=editing)
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


@router.post(PAGE + "/{template_id}/delete")
async def delete_template(template_id: UUID, request: Request, c: ConsoleDep) -> Response:
    try:
        await c.api.delete(f"{API}/{template_id}")
    except ApiRefusal as refusal:
        return await _page(request, c, refusal.status, error=refusal.message)
    return RedirectResponse(f"{PAGE}?deleted=1", status_code=303)

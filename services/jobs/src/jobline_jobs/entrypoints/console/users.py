"""The admin's page of the business's users: invite one with a role, reset one (a new
one-time link; password, second factor and sessions are cleared), disable one. What the
CLI's ``jobline-jobs users`` does, for an admin in the browser."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.domain.accounts import AccountRefused
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep
from jobline_jobs.service_layer.accounts import welcome_link
from jobline_jobs.service_layer.queries import ROLES

router = APIRouter(include_in_schema=False)


async def page(
    request: Request,
    rt: RuntimeDep,
    c: Console,
    status: int = 200,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    if c.who.role != "admin":
        message = "Only an admin can see and change the business's users."
        return render(request, "users.html", 403, who=c.who, csrf=c.csrf, forbidden=message)
    users = await rt.accounts.store.users(c.who.tenant_id)
    return render(
        request, "users.html", status, who=c.who, csrf=c.csrf, users=users, roles=ROLES, **context
    )


@router.get("/console/users")
async def users(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    return await page(request, rt, c)


@router.post("/console/users")
async def invite(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    if c.who.role != "admin":
        return await page(request, rt, c)
    form = await request.form()
    email, name = str(form.get("email") or ""), str(form.get("display_name") or "")
    role = str(form.get("role") or "")
    if role not in ROLES:
        return await page(request, rt, c, 422, error="Choose viewer, operator or admin.")
    try:
        user, link = await rt.accounts.invite(c.who.tenant_id, email, name, role)
    except AccountRefused as refusal:
        return await page(request, rt, c, 422, error=refusal.message)
    return await page(
        request,
        rt,
        c,
        201,
        link=welcome_link(str(request.base_url), link),
        link_for=user.display_name,
    )


@router.post("/console/users/{user_id}/{action}")
async def change(
    user_id: UUID, action: str, request: Request, rt: RuntimeDep, c: ConsoleDep
) -> HTMLResponse:
    if c.who.role != "admin":
        return await page(request, rt, c)
    found = await rt.accounts.store.user(c.who.tenant_id, user_id)
    if found is None or action not in ("reset", "disable"):
        return await page(request, rt, c, 404, error="There is no such user in this business.")
    if action == "disable" and user_id == c.who.user_id:
        return await page(request, rt, c, 409, error="You cannot disable yourself.")
    if action == "disable":
        await rt.accounts.disable(c.who.tenant_id, user_id)
        return await page(request, rt, c, notice=f"{found.display_name} is disabled.")
    link = await rt.accounts.reset(c.who.tenant_id, user_id)
    return await page(
        request,
        rt,
        c,
        link=welcome_link(str(request.base_url), link),
        link_for=found.display_name,
    )

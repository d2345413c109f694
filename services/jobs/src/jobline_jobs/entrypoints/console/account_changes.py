"""A user changes their own password on their account page (their other sessions end);
an admin changes a user's role on the users page. Refusals are sentences."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.domain.accounts import AccountRefused
from jobline_jobs.entrypoints.api import rate_limits
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console import account, users
from jobline_jobs.entrypoints.console.session import SESSION_COOKIE, ConsoleDep
from jobline_jobs.service_layer import account_changes

router = APIRouter(include_in_schema=False)
ROLE_WORDS = {"viewer": "a viewer", "operator": "an operator", "admin": "an admin"}


@router.post("/console/account/password")
async def change_password(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    form = await request.form()
    current, new, again = (str(form.get(k) or "") for k in ("current", "new", "again"))
    if new != again:
        error = "The two new passwords differ; type the same twice."
        return await account.page(request, rt, c, 422, error=error)
    secret = request.cookies.get(SESSION_COOKIE, "")
    address = rate_limits.client_address(request)
    try:
        ended = await account_changes.change_password(
            rt.accounts, c.who, secret, (current, new), address
        )
    except AccountRefused as refusal:
        return await account.page(request, rt, c, 422, error=refusal.message)
    others = {0: "no other session was open", 1: "your 1 other session has ended"}
    said = others.get(ended, f"your {ended} other sessions have ended")
    notice = f"Your password is changed; {said}."
    return await account.page(request, rt, c, notice=notice)


@router.post("/console/users/{user_id}/role")
async def change_role(
    user_id: UUID, request: Request, rt: RuntimeDep, c: ConsoleDep
) -> HTMLResponse:
    if c.who.role != "admin":
        return await users.page(request, rt, c)
    role = str((await request.form()).get("role") or "")
    try:
        name = await account_changes.change_role(rt.accounts, c.who.tenant_id, user_id, role)
    except AccountRefused as refusal:
        status = 409 if refusal.code == "last_admin" else 422
        return await users.page(request, rt, c, status, error=refusal.message)
    notice = f"{name} is now {ROLE_WORDS[role]}."
    return await users.page(request, rt, c, notice=notice)

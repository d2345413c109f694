"""The admin's page of the business's single sign-on (OpenID Connect): whether it is on,
through which issuer and client id (never the secret), a form to set it and a button to
remove it. It calls ``/v1/tenant/sso``, so the checks and refusals are the API's; other
roles get the users page's refusal without asking the API."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import form_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep
from jobline_jobs.service_layer.queries import ROLES

router = APIRouter(include_in_schema=False)
PAGE = "/console/sign-on"
API = "/v1/tenant/sso"
FORBIDDEN = "Only an admin can see and change the business's single sign-on."


async def _page(
    request: Request,
    c: Console,
    status: int = 200,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    if c.who.role != "admin":
        return render(
            request, "sign_on_settings.html", 403, who=c.who, csrf=c.csrf, forbidden=FORBIDDEN
        )
    return render(
        request,
        "sign_on_settings.html",
        status,
        who=c.who,
        csrf=c.csrf,
        s=await c.api.get(API),
        roles=ROLES,
        # What the admin registers at the issuer as the redirect (callback) address.
        callback=str(request.url_for("sign_on_callback")),
        **context,
    )


@router.get(PAGE)
async def sign_on_page(request: Request, c: ConsoleDep) -> HTMLResponse:
    return await _page(request, c)


@router.post(PAGE)
async def save(request: Request, c: ConsoleDep) -> HTMLResponse:
    if c.who.role != "admin":
        return await _page(request, c)
    fields = await form_of(request)
    change = {
        "issuer": one(fields, "issuer"),
        "client_id": one(fields, "client_id"),
        # As typed: only an empty field means "keep the stored secret".
        "client_secret": fields.get("client_secret", [""])[0] or None,
        "new_user_role": one(fields, "new_user_role") or None,
    }
    try:
        await c.api.put(API, change)
    except ApiRefusal as refusal:
        return await _page(request, c, refusal.status, error=refusal.message, entered=change)
    return await _page(request, c, notice="Single sign-on saved.")


@router.post(f"{PAGE}/remove")
async def remove(request: Request, c: ConsoleDep) -> HTMLResponse:
    if c.who.role != "admin":
        return await _page(request, c)
    try:
        await c.api.delete(API)
    except ApiRefusal as refusal:
        return await _page(request, c, refusal.status, error=refusal.message)
    return await _page(
        request, c, notice="Single sign-on removed: people sign in with their email and password."
    )

"""The console's session: a random secret in an HttpOnly SameSite=Lax cookie (Secure on
https) naming a session kept in PostgreSQL (only the secret's hash is stored; it ends when
idle or old, on sign-out, or everywhere at once). And the CSRF defence of every POST: the
Origin (or Referer) must be this host, and the form or the X-CSRF-Token header must echo
the CSRF cookie (double submit)."""

import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console.api_client import Api
from jobline_jobs.service_layer.queries import Principal

SESSION_COOKIE = "jobline_session"
CSRF_COOKIE = "jobline_csrf"


class SignInRequired(Exception):
    """No valid session: full pages redirect to the sign-in page, htmx requests too."""


class CsrfRefused(Exception):
    """A POST from another origin or without the CSRF token."""


@dataclass(frozen=True)
class Console:
    who: Principal
    api: Api
    csrf: str


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A cookie of the session's kind; it lasts as long as a session may (the server
    decides earlier ends)."""
    response.set_cookie(
        name,
        value,
        max_age=int(request.app.state.runtime.accounts.policy.absolute.total_seconds()),
        path="/",
        httponly=True,
        # Lax: a link from an email into the console arrives signed in; a cross-site POST
        # still carries no cookie, and the CSRF check stands behind that.
        samesite="lax",
        # Secure would stop the browser from sending it back over http://127.0.0.1.
        secure=request.url.scheme == "https",
    )


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    return bool(source) and urlsplit(source).netloc == request.headers.get("host")


def is_upload(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def check_csrf(request: Request) -> None:
    """Refuse a POST that is cross-origin or does not echo the CSRF cookie. An upload's
    token comes in its URL (``?csrf_token=``): its body is never read here, it streams
    on to the API (``Api.forward_upload``), which counts it against the limit."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token")
    if sent is None and is_upload(request):
        sent = request.query_params.get("csrf_token", "")
    elif sent is None:
        field = (await request.form()).get("csrf_token")
        sent = field if isinstance(field, str) else ""
    if not (_same_origin(request) and cookie and hmac.compare_digest(cookie, sent)):
        raise CsrfRefused


async def console(request: Request, rt: RuntimeDep) -> AsyncIterator[Console]:
    """The signed-in user, with the API as them; POSTs pass the CSRF check first."""
    secret = request.cookies.get(SESSION_COOKIE)
    csrf = request.cookies.get(CSRF_COOKIE)
    who = await rt.accounts.principal(secret) if secret else None
    if who is None or secret is None or not csrf:
        raise SignInRequired
    if request.method == "POST":
        await check_csrf(request)
    api = Api(request, secret)
    try:
        yield Console(who, api, csrf)
    finally:
        await api.aclose()


ConsoleDep = Annotated[Console, Depends(console)]

"""Signing in through the business's own OpenID Connect issuer (single sign-on), when an
admin configured one (``jobline-jobs sso configure``): the browser goes to the issuer and
comes back with a code; the session it then holds is the one a password opens.

The state rides in a short-lived cookie scoped to these two paths, so a code only counts
in the browser that began the sign-in."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jobline_jobs.entrypoints.api import rate_limits
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console.auth import form_page, signed_in
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.service_layer.accounts import Refused

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "jobline_sign_on"
STATE_PATH = "/login/sso"
STATE_SECONDS = 600  # as long as the server keeps the attempt


def _refused(request: Request, message: str, business: str = "") -> Response:
    page = form_page(request, "login.html", message, 401, business=business)
    page.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return page


@router.get("/login/sso")
async def begin(request: Request, rt: RuntimeDep, business: str = "") -> Response:
    if not business.strip():
        return _refused(request, "Enter your business's ID to use single sign-on.")
    back = str(request.url_for("sign_on_callback"))
    outcome = await rt.sign_on.begin(business[:100], back)
    if isinstance(outcome, Refused):
        return _refused(request, outcome.message, business)
    url, state = outcome
    # A page that moves on by itself, not a 303: see sign_on_go.html.
    answer = render(request, "sign_on_go.html", url=url)
    answer.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_SECONDS,
        path=STATE_PATH,
        httponly=True,
        samesite="lax",  # sent on the issuer's top-level redirect back
        secure=request.url.scheme == "https",
    )
    return answer


@router.get("/login/sso/callback", name="sign_on_callback")
async def callback(
    request: Request, rt: RuntimeDep, code: str = "", state: str = "", error: str = ""
) -> Response:
    if error or not code:
        return _refused(request, "Single sign-on did not sign you in; start again.")
    kept = request.cookies.get(STATE_COOKIE, "")
    origin = (rate_limits.client_address(request), request.headers.get("user-agent", ""))
    outcome = await rt.sign_on.finish(kept, state, code, origin)
    if isinstance(outcome, Refused):
        return _refused(request, outcome.message)
    answer = signed_in(request, outcome)
    answer.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return answer

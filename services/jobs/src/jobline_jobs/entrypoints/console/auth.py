"""Sign in (email and password, then the code for a user with TOTP) and out, and what the
console answers when a session or CSRF check fails."""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobline_jobs.entrypoints.api import rate_limits
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfRefused,
    SignInRequired,
    check_csrf,
    new_csrf,
    set_cookie,
)
from jobline_jobs.service_layer.accounts import Refused, SignedIn

router = APIRouter(include_in_schema=False)


def form_page(
    request: Request,
    name: str,
    error: str | None = None,
    status: int = 200,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    page = render(request, name, status, csrf=csrf, error=error, **context)
    set_cookie(request, page, CSRF_COOKIE, csrf)
    return page


def _refused(request: Request, name: str, refusal: Refused, **context: Any) -> HTMLResponse:  # noqa: ANN401
    locked = refusal.retry_after is not None
    page = form_page(request, name, refusal.message, 429 if locked else 401, **context)
    if locked:
        page.headers["Retry-After"] = str(refusal.retry_after)
    return page


def signed_in(request: Request, done: SignedIn) -> Response:
    answer = RedirectResponse("/login/code" if done.second_factor_due else "/", status_code=303)
    set_cookie(request, answer, SESSION_COOKIE, done.secret)
    set_cookie(request, answer, CSRF_COOKIE, new_csrf())  # a fresh one per session
    return answer


@router.get("/login")
async def login_page(request: Request, done: str = "") -> HTMLResponse:
    notice = {"password": "Your password is set; sign in with it."}.get(done)
    return form_page(request, "login.html", notice=notice)


@router.post("/login")
async def login(request: Request, rt: RuntimeDep) -> Response:
    await check_csrf(request)
    form = await request.form()
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    address = rate_limits.client_address(request)
    agent = request.headers.get("user-agent", "")
    outcome = await rt.accounts.sign_in(email, password, address, agent)
    if isinstance(outcome, Refused):
        return _refused(request, "login.html", outcome, email=email)
    return signed_in(request, outcome)


@router.get("/login/code")
async def code_page(request: Request) -> HTMLResponse:
    return form_page(request, "login_code.html")


@router.post("/login/code")
async def code(request: Request, rt: RuntimeDep) -> Response:
    await check_csrf(request)
    secret = request.cookies.get(SESSION_COOKIE, "")
    typed = str((await request.form()).get("code") or "")
    address = rate_limits.client_address(request)
    outcome = await rt.accounts.second_factor(secret, typed, address)
    if isinstance(outcome, Refused):
        return _refused(request, "login_code.html", outcome)
    return signed_in(request, outcome)


@router.post("/logout")
async def logout(request: Request, rt: RuntimeDep) -> Response:
    await check_csrf(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await rt.accounts.sign_out(secret)
    done = RedirectResponse("/login", status_code=303)
    done.delete_cookie(SESSION_COOKIE, path="/")
    return done


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _: SignInRequired) -> Response:
        if _htmx(request):  # htmx follows HX-Redirect with a full page load
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _: CsrfRefused) -> HTMLResponse:
        message = "This form came from another site or has expired; reload the page and retry."
        return render(request, "error.html", 403, message=message, htmx=_htmx(request))

    @app.exception_handler(ApiRefusal)
    async def refused(request: Request, refusal: ApiRefusal) -> HTMLResponse:
        status = refusal.status if refusal.status < 500 else 502
        return render(request, "error.html", status, message=refusal.message, htmx=_htmx(request))

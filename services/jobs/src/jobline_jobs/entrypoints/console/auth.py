"""Sign in and out, and what the console answers when a session or CSRF check fails."""

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

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    page = render(request, "login.html", status, csrf=csrf, error=error)
    set_cookie(request, page, CSRF_COOKIE, csrf)
    return page


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login")
async def login(request: Request, rt: RuntimeDep) -> Response:
    await check_csrf(request)
    token = str((await request.form()).get("token") or "").strip()
    limits, address = rate_limits.of(request), rate_limits.client_address(request)
    refusal = await limits.sign_in_refusal(address, token)
    if refusal is not None:
        page = _login_page(request, f"Sign-in refused: {refusal.message}.", 429)
        page.headers.update(refusal.headers)  # Retry-After
        return page
    if not token or await rt.tokens.resolve(token) is None:
        await limits.sign_in_failed(address, token)
        return _login_page(request, "That token is unknown or revoked.", 401)
    done = RedirectResponse("/", status_code=303)
    set_cookie(request, done, SESSION_COOKIE, token)
    set_cookie(request, done, CSRF_COOKIE, new_csrf())  # a fresh one per session
    return done


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
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

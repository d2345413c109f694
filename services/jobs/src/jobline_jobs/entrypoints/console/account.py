"""A user's own account: choosing a password from a one-time link, the sessions they are
signed in with (and signing out of all of them), and two-step sign-in (TOTP)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobline_jobs.domain.accounts import MIN_PASSWORD, AccountRefused
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console.auth import form_page
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import (
    SESSION_COOKIE,
    Console,
    ConsoleDep,
    SignInRequired,
    check_csrf,
)

router = APIRouter(include_in_schema=False)
ISSUER = "Jobline"


@router.get("/welcome/{link}")
async def welcome(link: str, request: Request, rt: RuntimeDep) -> HTMLResponse:
    user = await rt.accounts.welcome(link)
    return form_page(request, "welcome.html", user=user, link=link, min_password=MIN_PASSWORD)


@router.post("/welcome/{link}")
async def choose_password(link: str, request: Request, rt: RuntimeDep) -> Response:
    await check_csrf(request)
    form = await request.form()
    password, again = str(form.get("password") or ""), str(form.get("again") or "")
    error = "The two passwords differ; type the same twice." if password != again else None
    if error is None:
        try:
            await rt.accounts.choose_password(link, password)
        except AccountRefused as refusal:
            error = refusal.message
    if error is not None:
        user = await rt.accounts.welcome(link)
        return form_page(
            request, "welcome.html", error, 422, user=user, link=link, min_password=MIN_PASSWORD
        )
    return RedirectResponse("/login?done=password", status_code=303)


async def page(
    request: Request,
    rt: RuntimeDep,
    c: Console,
    status: int = 200,
    enrol_secret: str = "",
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    if c.who.user_id is None:  # a console session is always a user's
        raise SignInRequired
    me = await rt.accounts.store.user(c.who.tenant_id, c.who.user_id)
    if me is None:
        raise SignInRequired
    sessions = await rt.accounts.sessions(c.who.user_id)
    if enrol_secret:
        uri = rt.accounts.secrets.totp_uri(enrol_secret, me.email, ISSUER)
        context["enrol"] = {"secret": enrol_secret, "uri": uri}
    return render(
        request,
        "account.html",
        status,
        who=c.who,
        csrf=c.csrf,
        me=me,
        sessions=sessions,
        current=c.who.token_id,
        **context,
    )


@router.get("/console/account")
async def account(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    return await page(request, rt, c)


@router.post("/console/account/sign-out-everywhere")
async def sign_out_everywhere(rt: RuntimeDep, c: ConsoleDep) -> Response:
    if c.who.user_id is not None:
        await rt.accounts.sign_out_everywhere(c.who.user_id)
    done = RedirectResponse("/login", status_code=303)
    done.delete_cookie(SESSION_COOKIE, path="/")
    return done


@router.get("/console/account/totp")
async def totp_setup(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    secret = rt.accounts.secrets.new_totp_secret()
    return await page(request, rt, c, enrol_secret=secret)


@router.post("/console/account/totp")
async def totp_confirm(request: Request, rt: RuntimeDep, c: ConsoleDep) -> HTMLResponse:
    form = await request.form()
    secret, code = str(form.get("secret") or ""), str(form.get("code") or "")
    if c.who.user_id is None:
        raise SignInRequired
    if len(secret) == 32 and await rt.accounts.enable_totp(c.who.user_id, secret, code):
        return await page(request, rt, c, notice="Two-step sign-in is on.")
    return await page(
        request,
        rt,
        c,
        422,
        enrol_secret=secret,
        error="That code is not right; enter the one your app shows now.",
    )

"""Accounts through the console as a browser uses it (ASGI, real PostgreSQL): sign-in by
email and password (and the code for a user with TOTP), sessions kept only as a hash that
end when idle, when old, on sign-out and everywhere at once; invite, reset and disable;
a viewer cannot act; an action records the user's id and name."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs import cli
from jobline_jobs.adapters.tokens import list_tokens, revoke_token
from jobline_testing.accounts import PASSWORD, accounts, make_user
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.browser import Browser, Clock

pytestmark = pytest.mark.integration
NEW = "a brand new passphrase"


async def _tenant(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def test_sign_in_opens_a_session_whose_secret_is_stored_only_as_a_hash(db, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        wrong = await browser.sign_in(olive.email, "not the password at all")
        done = await browser.sign_in(olive.email.upper())  # the address in any case
        secret = browser.http.cookies["jobline_session"]
        assert await browser.signed_in()
    assert wrong.status_code == 401
    assert "That email and password do not match an account." in wrong.text
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert secret.startswith("jls_")
    stored = await db.fetch(
        "SELECT session_hash FROM jobs.user_sessions WHERE user_id = $1", olive.user_id
    )
    assert [r["session_hash"] for r in stored] == [hashlib.sha256(secret.encode()).digest()]
    cookie = done.headers.get_list("set-cookie")
    session = next(c.lower() for c in cookie if c.startswith("jobline_session="))
    assert {"httponly", "samesite=lax", "path=/"} <= {p.strip() for p in session.split(";")}


async def test_a_session_ends_when_idle_and_when_old_whatever_its_use(db, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    clock = Clock()
    users = accounts(db, clock=clock, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    app = api_app(db, tmp_path, users)
    idle, busy = Browser(app), Browser(app)
    async with idle.http, busy.http:
        await idle.sign_in(olive.email)
        await busy.sign_in(olive.email)
        clock.now += timedelta(minutes=29)
        assert await busy.signed_in()
        clock.now += timedelta(minutes=2)  # idle: 31 min unused; busy: 2 min
        assert not await idle.signed_in()
        for _ in range(3):  # used every 29 minutes: never idle, until 2 h after sign-in
            assert await busy.signed_in()
            clock.now += timedelta(minutes=29)
        assert await busy.signed_in()  # 1 h 58 min after sign-in
        clock.now += timedelta(minutes=3)
        assert not await busy.signed_in()


async def test_sign_out_revokes_the_session_and_everywhere_revokes_them_all(db, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    app = api_app(db, tmp_path)
    laptop, phone, tablet = Browser(app), Browser(app), Browser(app)
    async with laptop.http, phone.http, tablet.http:
        for browser in (laptop, phone, tablet):
            await browser.sign_in(olive.email)
        secret = laptop.http.cookies["jobline_session"]
        out = await laptop.post("/logout")
        laptop.http.cookies.set("jobline_session", secret)  # a copy of the cookie, replayed
        assert out.status_code == 303
        assert not await laptop.signed_in()
        listed = await phone.http.get("/console/account")
        assert listed.text.count("This browser") == 1
        assert listed.text.count("<tr>") == 3  # the header and the two sessions left
        everywhere = await phone.post("/console/account/sign-out-everywhere")
        assert everywhere.headers["location"] == "/login"
        assert not await phone.signed_in()
        assert not await tablet.signed_in()


async def test_a_user_with_totp_needs_the_current_code_after_the_password(db, tmp_path):
    seeded = await _tenant(db)
    tess = await make_user(db, seeded.tenant_id, name="Tess Twofactor", totp=True)
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        first = await browser.sign_in(tess.email)
        half = browser.http.cookies["jobline_session"]
        assert first.headers["location"] == "/login/code"
        assert not await browser.signed_in()  # the password alone opens nothing
        wrong = await browser.post("/login/code", code="000000")
        right = await browser.post("/login/code", code=tess.code())
        assert await browser.signed_in()
        whole = browser.http.cookies["jobline_session"]
    assert wrong.status_code == 401
    assert "That code is not right" in wrong.text
    assert right.headers["location"] == "/"
    assert whole != half  # a new secret once the second factor is given


async def test_invite_link_sets_a_password_once_reset_and_disable_end_access(db, tmp_path):
    seeded = await _tenant(db)
    admin = await make_user(db, seeded.tenant_id, "admin", "Ada Admin")
    app = api_app(db, tmp_path)
    boss, newbie = Browser(app), Browser(app, "198.51.100.3")
    async with boss.http, newbie.http:
        await boss.sign_in(admin.email)
        invited = await boss.post(
            "/console/users", email="Nia@Example.com", display_name="Nia New", role="viewer"
        )
        link = invited.text.split("/welcome/")[1].split("<")[0]
        welcome = await newbie.http.get(f"/welcome/{link}")
        chosen = await newbie.post(f"/welcome/{link}", password=PASSWORD, again=PASSWORD)
        again = await newbie.http.get(f"/welcome/{link}")
        assert (await newbie.sign_in("nia@example.com")).status_code == 303
        (nia,) = [u for u in await accounts(db).store.users(seeded.tenant_id) if u.role == "viewer"]
        reset = await boss.post(f"/console/users/{nia.user_id}/reset")
        assert not await newbie.signed_in()  # a reset ends every session
        refused = await newbie.sign_in("nia@example.com")
        link = reset.text.split("/welcome/")[1].split("<")[0]
        fresh = {"password": NEW, "again": NEW}
        await newbie.post(f"/welcome/{link}", **fresh)
        assert (await newbie.sign_in("nia@example.com", NEW)).status_code == 303
        await boss.post(f"/console/users/{nia.user_id}/disable")
        assert not await newbie.signed_in()
        disabled = await newbie.sign_in("nia@example.com", NEW)
    assert invited.status_code == 201
    assert "Welcome, Nia New" in welcome.text
    assert chosen.headers["location"] == "/login?done=password"
    assert "This link cannot be used" in again.text
    assert refused.status_code == 401
    assert "This account is disabled" in disabled.text


async def test_only_an_admin_sees_the_users_page(db, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        await browser.sign_in(olive.email)
        page = await browser.http.get("/console/users")
        invite = await browser.post(
            "/console/users", email="x@example.com", display_name="X", role="admin"
        )
    assert page.status_code == invite.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM jobs.users WHERE email = 'x@example.com'") == 0


async def test_a_viewer_cannot_act_and_an_action_records_the_users_id_and_name(db, tmp_path):
    seeded = await _tenant(db)
    job = await seeded.job(datetime.now(UTC) - timedelta(days=1))
    olive = await make_user(db, seeded.tenant_id, name="Olive Operator")
    vic = await make_user(db, seeded.tenant_id, "viewer", "Vic Viewer")
    app = api_app(db, tmp_path)
    operator, viewer = Browser(app), Browser(app)
    async with operator.http, viewer.http:
        await operator.sign_in(olive.email)
        await viewer.sign_in(vic.email)
        refused = await viewer.post(f"/console/jobs/{job.job_id}/defer", reason="waiting on parts")
        deferred = await operator.post(
            f"/console/jobs/{job.job_id}/defer", reason="waiting on parts"
        )
    assert refused.status_code == 403, refused.text
    assert deferred.status_code == 200, deferred.text
    actor = await db.fetchval(
        "SELECT actor FROM jobs.timeline WHERE job_id = $1 ORDER BY at DESC LIMIT 1", job.job_id
    )
    assert actor == f"operator:{olive.user_id}:Olive Operator"


def test_the_cli_invites_resets_and_disables(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    tenant, email = f"t-{uuid.uuid4().hex[:10]}", f"cli-{uuid.uuid4().hex[:6]}@example.com"
    base = "https://console.example"
    assert cli.main(["tenants", "add", tenant, "--name", "Cli Co", "--time-zone", "UTC"]) == 0
    invite = ["users", "invite", "--tenant", tenant, "--email", email, "--name", "Cleo Cli"]
    capsys.readouterr()
    assert cli.main([*invite, "--role", "admin", "--base-url", base]) == 0
    link = capsys.readouterr().out.strip()
    assert cli.main(["users", "reset", "--email", email, "--base-url", base]) == 0
    second = capsys.readouterr().out.strip()
    assert cli.main(["users", "disable", "--email", email]) == 0
    assert capsys.readouterr().out.strip() == f"{email} disabled"
    assert cli.main(["users", "disable", "--email", "nobody@example.com"]) == 2
    assert cli.main([*invite, "--base-url", base]) == 2  # the address has an account
    assert "already has an account" in capsys.readouterr().err
    assert link.startswith(f"{base}/welcome/")
    assert second.startswith(f"{base}/welcome/")
    assert second != link


async def test_api_tokens_stay_for_machines_listed_with_last_use_and_revocable(db, tmp_path):
    seeded = await _tenant(db)
    app = api_app(db, tmp_path)
    async with db.acquire() as conn:
        before = await list_tokens(conn, seeded.tenant_id)
    async with client(app, seeded.token) as machine:
        used = await machine.get("/v1/jobs")
        async with db.acquire() as conn:
            after = await list_tokens(conn, seeded.tenant_id)
            token_id = uuid.UUID(after[0].split()[0])
            assert await revoke_token(conn, token_id)
            assert not await revoke_token(conn, token_id)  # once
        refused = await machine.get("/v1/jobs")
    assert used.status_code == 200
    assert "last used never" in before[0]
    assert "last used never" not in after[0]
    assert refused.status_code == 401

"""Issue 18, the rest, through the console and API as a browser and a client use them
(ASGI, real PostgreSQL): a user changes their own password (the current one required,
their other sessions end), an admin changes a role (never leaving the business without an
admin), and a bulk text goes to the selected jobs' contacts with a result per job."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs import cli
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands
from jobline_testing.accounts import PASSWORD, make_user
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.browser import Browser

pytestmark = pytest.mark.integration
NEW = "a brand new passphrase"
NOW = datetime.now(UTC)


async def _tenant(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(
    db, tmp_path
):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    app = api_app(db, tmp_path)
    laptop, phone, stranger = Browser(app), Browser(app), Browser(app)
    async with laptop.http, phone.http, stranger.http:
        await laptop.sign_in(olive.email)
        await phone.sign_in(olive.email)
        path = "/console/account/password"
        wrong = await laptop.post(path, current="not my password!!", new=NEW, again=NEW)
        differ = await laptop.post(path, current=PASSWORD, new=NEW, again=NEW + "x")
        short = await laptop.post(path, current=PASSWORD, new="short", again="short")
        assert await phone.signed_in()  # nothing refused changed anything
        done = await laptop.post(path, current=PASSWORD, new=NEW, again=NEW)
        assert await laptop.signed_in()
        assert not await phone.signed_in()
        old = await stranger.sign_in(olive.email)
        new = await stranger.sign_in(olive.email, NEW)
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.text
    assert "The two new passwords differ" in differ.text
    assert "a password is at least 12 characters (this one has 5)" in short.text
    assert done.status_code == 200
    assert "Your password is changed; your 1 other session has ended." in done.text
    assert (old.status_code, new.status_code) == (401, 303)


async def test_guessing_the_current_password_in_a_session_locks_like_sign_in(db, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        await browser.sign_in(olive.email)
        for _ in range(5):  # the test accounts' lockout: 5 failures in 15 minutes
            await browser.post(
                "/console/account/password", current="guess guess guess", new=NEW, again=NEW
            )
        locked = await browser.post(
            "/console/account/password", current=PASSWORD, new=NEW, again=NEW
        )
    assert "Too many failed sign-ins for this account." in locked.text
    hashed = await db.fetchval(
        "SELECT password_hash FROM jobs.users WHERE user_id = $1", olive.user_id
    )
    assert hashed is not None  # unchanged: the right password came after the lock


async def test_an_admin_changes_roles_but_never_leaves_the_business_without_an_admin(db, tmp_path):
    seeded = await _tenant(db)
    ada = await make_user(db, seeded.tenant_id, "admin", "Ada Admin")
    olive = await make_user(db, seeded.tenant_id, "operator", "Olive Operator")
    app = api_app(db, tmp_path)
    admin, operator = Browser(app), Browser(app)
    async with admin.http, operator.http:
        await admin.sign_in(ada.email)
        await operator.sign_in(olive.email)
        self_demotion = await admin.post(f"/console/users/{ada.user_id}/role", role="operator")
        not_admin = await operator.post(f"/console/users/{ada.user_id}/role", role="viewer")
        promoted = await admin.post(f"/console/users/{olive.user_id}/role", role="admin")
        now_admin = await operator.http.get("/console/users")
        demoted = await admin.post(f"/console/users/{ada.user_id}/role", role="viewer")
        users_page = await admin.http.get("/console/users")
    assert self_demotion.status_code == 409
    assert "The business needs at least one admin" in self_demotion.text
    assert not_admin.status_code == 403
    assert "Olive Operator is now an admin." in promoted.text
    assert now_admin.status_code == 200  # the role holds from the next request
    assert "Ada Admin is now a viewer." in demoted.text
    assert users_page.status_code == 403
    roles = await db.fetch(
        "SELECT display_name, role FROM jobs.users WHERE tenant_id = $1 ORDER BY display_name",
        seeded.tenant_id,
    )
    assert [tuple(r) for r in roles] == [("Ada Admin", "viewer"), ("Olive Operator", "admin")]


async def test_the_api_lists_users_and_changes_a_role_for_an_admin_only(db, tmp_path):
    seeded = await _tenant(db)
    ada = await make_user(db, seeded.tenant_id, "admin", "Ada Admin")
    async with db.acquire() as conn:
        admin_token = await issue_token(conn, seeded.tenant_id, "admin")
    app = api_app(db, tmp_path)
    async with client(app, admin_token) as api, client(app, seeded.token) as operator:
        listed = (await api.get("/v1/users")).json()["items"]
        last = await api.patch(f"/v1/users/{ada.user_id}", json={"role": "viewer"})
        unknown = await api.patch(f"/v1/users/{uuid.uuid4()}", json={"role": "viewer"})
        bad = await api.patch(f"/v1/users/{ada.user_id}", json={"role": "owner"})
        refused = await operator.get("/v1/users")
        no_password = await api.post(
            "/v1/account/password", json={"current_password": "x", "new_password": NEW}
        )
    assert [(u["display_name"], u["role"], u["status"]) for u in listed] == [
        ("Ada Admin", "admin", "active")
    ]
    assert (last.status_code, last.json()["error"]["code"]) == (409, "last_admin")
    assert unknown.status_code == 404
    assert bad.status_code == 422
    assert refused.status_code == 403
    assert no_password.status_code == 403


def test_the_cli_changes_a_role(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    tenant, email = f"t-{uuid.uuid4().hex[:10]}", f"cli-{uuid.uuid4().hex[:6]}@example.com"
    assert cli.main(["tenants", "add", tenant, "--name", "Cli Co", "--time-zone", "UTC"]) == 0
    invite = ["users", "invite", "--tenant", tenant, "--email", email, "--name", "Cleo Cli"]
    assert cli.main([*invite, "--role", "admin"]) == 0
    capsys.readouterr()
    assert cli.main(["users", "role", "--email", email, "--role", "viewer"]) == 2
    assert "at least one admin" in capsys.readouterr().err
    second = f"cli-{uuid.uuid4().hex[:6]}@example.com"
    assert cli.main(["users", "invite", "--tenant", tenant, "--email", second, "--name", "B"]) == 0
    capsys.readouterr()
    assert cli.main(["users", "role", "--email", second, "--role", "admin"]) == 0
    assert capsys.readouterr().out.strip() == f"{second} is now admin"
    assert cli.main(["users", "role", "--email", email, "--role", "viewer"]) == 0


async def test_a_bulk_text_goes_to_each_jobs_contacts_that_take_texts(db, tmp_path):
    seeded = await _tenant(db)
    texted = await seeded.job(NOW - timedelta(days=1))
    by_email = await seeded.job(NOW - timedelta(days=1))
    await seeded.contacts(texted, ("Dana", "+15555550101", None), ("Sam", "+15555550102", None))
    await seeded.send(
        commands.RecordOptOut(seeded.tenant_id, NOW, "+15555550102", opted_out=True, keyword="STOP")
    )
    await seeded.contacts(by_email, ("Ava", None, "ava@example.com"))
    olive = await make_user(db, seeded.tenant_id)
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        await browser.sign_in(olive.email)
        fields = await browser.http.get("/console/jobs/bulk/text-fields")
        nothing = await browser.post(
            "/console/jobs/bulk", action="send_text", job_ids=str(texted.job_id)
        )
        too_long = await browser.post(
            "/console/jobs/bulk", action="send_text", job_ids=str(texted.job_id), message="x" * 161
        )
        form = {"action": "send_text", "message": "Hi {customer_first_name}, we are on our way."}
        if "jobline_csrf" not in browser.http.cookies:
            await browser.http.get("/login")
        done = await browser.http.post(
            "/console/jobs/bulk",
            data={
                **form,
                "job_ids": [str(texted.job_id), str(by_email.job_id)],
                "csrf_token": browser.http.cookies["jobline_csrf"],
            },
            headers={"Origin": "http://jobs.test"},
        )
    assert fields.status_code == 200
    assert 'name="message"' in fields.text
    assert "Write the text to send, or choose a template." in nothing.text
    assert "One text message holds 160 characters; this one has 161." in too_long.text
    assert done.status_code == 200
    assert "Send text: 1 of 2 done" in done.text
    assert "Text on its way to 1 contact; 1 contact opted out and was not texted." in done.text
    assert "No customer or property contact has a mobile number." in done.text
    # What was recorded to send (the outbox may be relayed away by another test's service).
    rows = await db.fetch(
        """SELECT c.job_id, d.address, c.body
             FROM jobs.communications c JOIN jobs.deliveries d USING (tenant_id, communication_id)
            WHERE c.tenant_id = $1 ORDER BY d.address""",
        seeded.tenant_id,
    )
    assert [tuple(r) for r in rows] == [
        (texted.job_id, "+15555550101", "Hi Dana, we are on our way.")
    ]

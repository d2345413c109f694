"""Operators as people, in the browser: sign-in by email and password (and the code of a
user with two-step sign-in), a session that lapses when idle, sign-out everywhere,
lockout after failed sign-ins, an admin inviting a user who sets a password from the
link, and the user's name on what they did (the sends list and the timeline)."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pyotp
import pytest
from e2e.console.browsing import Jobs, open_action, sign_in
from playwright.async_api import Browser, Page, expect

from jobline_testing.accounts import TestUser, make_user
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess, jobs_env

pytestmark = pytest.mark.e2e
IDLE_SECONDS = 2


async def test_a_user_with_two_step_sign_in_gives_the_code_after_the_password(
    tab: Page, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
):
    tess = await make_user(db, tenant, "operator", "Tess Twofactor", totp=True)
    await tab.goto(f"{jobs_service.url}/login")
    await tab.get_by_label("Email").fill(tess.email)
    await tab.get_by_label("Password").fill(tess.password)
    await tab.get_by_role("button", name="Sign in").click()
    await expect(tab.get_by_role("heading", name="Sign-in code")).to_be_visible()
    await tab.goto(jobs_service.url)  # the password alone opens nothing
    await expect(tab).to_have_url(re.compile(r"/login$"))
    await tab.get_by_label("Email").fill(tess.email)
    await tab.get_by_label("Password").fill(tess.password)
    await tab.get_by_role("button", name="Sign in").click()
    await tab.get_by_label("Code from your authenticator app").fill("000000")
    await tab.get_by_role("button", name="Continue").click()
    await expect(tab.get_by_role("alert")).to_contain_text("That code is not right")
    await tab.get_by_label("Code from your authenticator app").fill(tess.code())
    await tab.get_by_role("button", name="Continue").click()
    await expect(tab.get_by_role("heading", name="Jobs")).to_be_visible()
    await expect(tab.get_by_role("link", name="Tess Twofactor")).to_be_visible()


async def test_a_user_turns_on_two_step_sign_in_and_is_asked_for_the_code(
    page: Page, jobs_service: ServiceProcess, user: TestUser
):
    await page.get_by_role("link", name=user.name).click()
    await page.get_by_role("link", name="Set up two-step sign-in").click()
    key = await page.get_by_label("Authenticator key").inner_text()
    await page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    await page.get_by_role("button", name="Turn on two-step sign-in").click()
    await expect(page.get_by_role("status")).to_have_text("Two-step sign-in is on.")
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_label("Email").fill(user.email)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).now())
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Jobs")).to_be_visible()


@pytest.fixture
def idle_jobs(
    database_url: str, kafka_bootstrap: str, service_logs: Path, blob_dir: Path
) -> Iterator[ServiceProcess]:
    """An API-only jobs process whose console sessions lapse after IDLE_SECONDS unused."""
    env = jobs_env(database_url, kafka_bootstrap, f"jobs-idle-{uuid.uuid4().hex[:8]}")
    env |= {
        "JOBLINE_JOBS_ROLES": "api",
        "JOBLINE_JOBS_SESSION_IDLE_SECONDS": str(IDLE_SECONDS),
        "JOBLINE_JOBS_BLOB_URL": blob_dir.as_uri(),
    }
    service = ServiceProcess("jobs", env, service_logs)
    service.start()
    yield service
    service.stop()


async def test_a_session_left_idle_ends_and_the_console_asks_to_sign_in(
    tab: Page, idle_jobs: ServiceProcess, db: asyncpg.Pool, user: TestUser
):
    await sign_in(tab, idle_jobs.url, user)

    async def idle_long_enough() -> bool:
        return bool(
            await db.fetchval(
                """SELECT bool_and(now() - last_seen_at > make_interval(secs => $2))
                     FROM jobs.user_sessions WHERE user_id = $1 AND revoked_at IS NULL""",
                user.user_id,
                IDLE_SECONDS + 0.5,
            )
        )

    await eventually(idle_long_enough, within=30)
    await tab.reload()
    await expect(tab).to_have_url(re.compile(r"/login$"))
    await expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_sign_out_everywhere_ends_the_other_browsers_sessions(
    browser: Browser, page: Page, jobs_service: ServiceProcess, user: TestUser
):
    other = await browser.new_context()
    phone = await other.new_page()
    await sign_in(phone, jobs_service.url, user)
    await page.get_by_role("link", name=user.name).click()
    sessions = page.get_by_role("table").locator("tbody tr")
    await expect(sessions).to_have_count(2)
    await expect(sessions.filter(has_text="This browser")).to_have_count(1)
    await page.get_by_role("button", name="Sign out everywhere").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await phone.reload()
    await expect(phone).to_have_url(re.compile(r"/login$"))
    await other.close()


async def test_failed_sign_ins_lock_the_account_with_when_to_retry(
    tab: Page, jobs_service: ServiceProcess, user: TestUser
):
    await tab.goto(f"{jobs_service.url}/login")
    for _ in range(4):
        await tab.get_by_label("Email").fill(user.email)
        await tab.get_by_label("Password").fill("a wrong password!!")
        await tab.get_by_role("button", name="Sign in").click()
        await expect(tab.get_by_role("alert")).to_have_text(
            "That email and password do not match an account."
        )
    locked = "Too many failed sign-ins for this account. Try again in 15 minutes."
    await tab.get_by_label("Password").fill("a wrong password!!")
    await tab.get_by_role("button", name="Sign in").click()
    await expect(tab.get_by_role("alert")).to_have_text(locked)
    await tab.get_by_label("Password").fill(user.password)  # right, but locked
    await tab.get_by_role("button", name="Sign in").click()
    await expect(tab.get_by_role("alert")).to_have_text(locked)
    await expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_an_admin_invites_a_user_who_sets_a_password_from_the_link(
    browser: Browser, tab: Page, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
):
    admin = await make_user(db, tenant, "admin", "Ada Admin")
    await sign_in(tab, jobs_service.url, admin)
    await tab.get_by_role("link", name="Users").click()
    email = f"nia-{uuid.uuid4().hex[:6]}@example.com"
    await tab.get_by_label("Email").fill(email)
    await tab.get_by_label("Name").fill("Nia New")
    await tab.get_by_label("Role").select_option(label="Viewer")
    await tab.get_by_role("button", name="Invite").click()
    link = await tab.get_by_label("One-time link").inner_text()
    await expect(tab.get_by_role("row", name=re.compile("Nia New"))).to_contain_text("Invited")

    newcomer = await browser.new_context()
    nia = await newcomer.new_page()
    await nia.goto(link)
    await expect(nia.get_by_text("Welcome, Nia New.")).to_be_visible()
    await nia.get_by_label("New password", exact=True).fill("a long enough passphrase")
    await nia.get_by_label("New password again").fill("a long enough passphrase")
    await nia.get_by_role("button", name="Set password").click()
    await expect(nia.get_by_role("status")).to_have_text("Your password is set; sign in with it.")
    await nia.get_by_label("Email").fill(email)
    await nia.get_by_label("Password").fill("a long enough passphrase")
    await nia.get_by_role("button", name="Sign in").click()
    await expect(nia.get_by_role("link", name="Nia New")).to_be_visible()

    await tab.reload()
    await tab.get_by_role("button", name="Disable Nia New").click()
    await expect(tab.get_by_role("status")).to_have_text("Nia New is disabled.")
    await nia.reload()
    await expect(nia).to_have_url(re.compile(r"/login$"))
    await newcomer.close()


@pytest.mark.usefixtures("comms_service", "invoicing_service")
async def test_the_users_name_shows_in_the_sends_list_and_the_timeline(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, user: TestUser
):
    job = await jobs.make("awaiting_payment")
    held = await jobs.make("awaiting_billing")
    await page.reload()
    await open_action(page, job, "Resend invoice to customer")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_role("button", name="Send invoice").click()
    await expect(dialog.locator(".deliveries tbody tr")).to_have_count(1, timeout=60_000)
    await dialog.get_by_role("button", name="Done").click()
    await open_action(page, held, "Defer commission")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Reason").fill("Waiting on the customer's sign-off")
    await dialog.get_by_role("button", name="Defer commission").click()
    await expect(dialog.get_by_role("status")).to_contain_text("deferred")
    await dialog.get_by_role("button", name="Done").click()

    await open_action(page, job, "View all invoice dispatches")
    send = page.locator("dialog[open] article.send")
    await expect(send).to_contain_text(f"By {user.name}")

    async def deferred_by_name() -> bool:
        items = (await api.get(f"/v1/jobs/{held.job_id}/timeline")).json()["items"]
        return any(e["type"] == "job.deferred" and e["actor_name"] == user.name for e in items)

    await eventually(deferred_by_name, within=10)

"""`make screenshots`: the console's list and each dialog as PNGs in docs/screenshots/.

Standalone: a fresh database on the PostgreSQL and Kafka the tests would use (from the
environment, or the local stack of deploy/local), the jobs service as a process, the demo
data of deploy/demo/load_demo.py, and Debian's Chromium driven by Playwright.
Run from the repository root with PYTHONPATH=tests (the Makefile does).
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from e2e.console.browsing import CHROMIUM, sign_in
from playwright.async_api import Page, async_playwright, expect

from jobline_contracts.topics import TOPICS
from jobline_infra.kafka_topics import ensure_topics
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.accounts import TestUser, make_user
from jobline_testing.databases import fresh_database
from jobline_testing.infra import ROOT, provide
from jobline_testing.services import ServiceProcess, jobs_env

OUT = ROOT / "docs" / "screenshots"


async def first_job(api: httpx.AsyncClient, view: str) -> dict[str, Any]:
    job: dict[str, Any] = (await api.get("/v1/jobs", params={"view": view})).json()["items"][0]
    return job


async def open_dialog(page: Page, job: dict[str, Any], action: str) -> None:
    await page.locator(f"#actions-{job['id']}").click()
    await page.get_by_role("menuitem", name=action, exact=True).click()
    await expect(page.locator("dialog[open]")).to_be_visible()


async def snap(page: Page, name: str) -> None:
    await page.screenshot(path=OUT / f"{name}.png")
    print(f"docs/screenshots/{name}.png")  # noqa: T201


async def close(page: Page) -> None:
    await page.keyboard.press("Escape")
    await expect(page.locator("dialog[open]")).to_have_count(0)


async def shoot(base: str, token: str, user: TestUser) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base, headers=headers) as api,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = await browser.new_page(viewport={"width": 1360, "height": 860})
        await page.goto(f"{base}/login")
        await snap(page, "01-sign-in")
        await sign_in(page, base, user)
        await snap(page, "02-jobs-list")
        recall = await first_job(api, "open_dispatch")
        await page.goto(f"{base}/?view=open_dispatch")
        await page.locator(f"#actions-{recall['id']}").click()
        await expect(page.get_by_role("menuitem").first).to_be_focused()
        await snap(page, "03-actions-menu-with-reasons")
        await page.keyboard.press("Escape")

        billing = await first_job(api, "awaiting_billing")
        await page.goto(f"{base}/?view=awaiting_billing")

        await open_dialog(page, billing, "Send text message")
        dialog = page.locator("dialog[open]")
        await dialog.get_by_role("checkbox").first.check()
        await dialog.get_by_label("Message").fill(
            "Hi, this is Acme Plumbing: your technician is on the way and should arrive within"
            " the hour. Reply STOP to opt out of texts; call us with any questions at all! Thanks"
        )
        await snap(page, "04-text-dialog-over-the-limit")
        await close(page)

        # An invoice goes out once issued: the email and resend dialogs use a job whose
        # invoice is (awaiting payment), the subjob and deferral ones the job awaiting billing.
        paying = await first_job(api, "awaiting_payment")
        await page.goto(f"{base}/?view=awaiting_payment")
        jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
        for kind, name in (("progress_photo", "before.jpg"), ("finished_photo", "after.jpg")):
            await api.post(
                f"/v1/jobs/{paying['id']}/documents",
                data={"kind": kind},
                files={"file": (name, jpeg, "image/jpeg")},
            )
        plan = b"%PDF-1.4\nfloor plan\n%%EOF"
        await api.post(
            f"/v1/properties/{paying['property']['id']}/documents",
            data={"kind": "document"},
            files={"file": ("floor-plan.pdf", plan, "application/pdf")},
        )
        await open_dialog(page, paying, "Send email")
        dialog = page.locator("dialog[open]")
        await dialog.get_by_role("checkbox").first.check()
        await dialog.get_by_label("Subject").fill("Your invoice from Acme Plumbing")
        await dialog.get_by_label("Message").fill("Thank you for your business.")
        await dialog.locator("fieldset.group").last.get_by_role("checkbox").check()
        await snap(page, "05-email-dialog")
        await close(page)

        await open_dialog(page, paying, "Resend invoice to customer")
        await page.locator("dialog[open]").get_by_role("checkbox").first.check()
        await snap(page, "06-resend-invoice-dialog")
        await close(page)

        await open_dialog(page, paying, "View all invoice dispatches")
        await snap(page, "08-invoice-dispatches-dialog")
        await close(page)

        await page.goto(f"{base}/?view=awaiting_billing")
        await open_dialog(page, billing, "Create subjob")
        dialog = page.locator("dialog[open]")
        await dialog.get_by_label("Title").fill("Deposit")
        await dialog.get_by_label("Share (a percent, or an amount)").fill("20")
        await dialog.get_by_role("button", name="Create subjob").click()
        await expect(dialog.get_by_role("status")).to_be_visible()
        await dialog.get_by_label("Title").fill("Final")
        await dialog.get_by_label("Share (a percent, or an amount)").fill("80")
        await snap(page, "07-create-subjob-dialog")
        await close(page)

        await open_dialog(page, billing, "Defer commission")
        await page.locator("dialog[open]").get_by_label("Reason").fill("Customer disputes labour")
        await snap(page, "09-defer-dialog")
        await close(page)

        await page.goto(f"{base}/?view=open_dispatch")
        await open_dialog(page, recall, "Link recall job")
        dialog = page.locator("dialog[open]")
        # The demo's recall is another customer's: the picker shows those behind a warning.
        await dialog.get_by_label("Show other customers' jobs too").check()
        await dialog.get_by_label("Find the original job").fill(billing["number"])
        await dialog.locator(f"#orig-{billing['id']}").check()
        await dialog.get_by_label("Reason").fill("The same leak came back")
        await snap(page, "10-link-recall-dialog")
        await dialog.get_by_role("button", name="Link recall and record chargeback").click()
        await expect(dialog.locator("#chargeback")).to_be_visible()
        await snap(page, "11-recall-chargeback")
        await close(page)

        deferred = await first_job(api, "deferred")
        await page.goto(f"{base}/?view=deferred")
        await open_dialog(page, deferred, "Un-defer commission")
        await snap(page, "12-undefer-dialog")
        await close(page)

        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(f"{base}/?view=awaiting_payment")
        await snap(page, "13-phone-width")
        await page.set_viewport_size({"width": 1360, "height": 860})
        await shoot_accounts(page, base)
        await shoot_day(page, base, paying)
        await browser.close()


async def shoot_accounts(page: Page, base: str) -> None:
    """The signed-in admin's account page (sessions, two-step sign-in) and the Users page."""
    await page.goto(f"{base}/console/account/totp")
    await snap(page, "14-account-and-two-step-sign-in")
    await page.goto(f"{base}/console/users")
    await page.get_by_label("Email").fill("sam.ortiz@acme.example")
    await page.get_by_label("Name").fill("Sam Ortiz")
    await page.get_by_role("button", name="Invite").click()
    await expect(page.get_by_label("One-time link")).to_be_visible()
    await snap(page, "15-users-invite-link")


async def shoot_day(page: Page, base: str, paying: dict[str, Any]) -> None:
    """A job's own page, the templates page and bulk actions on selected rows."""
    await page.goto(f"{base}/jobs/{paying['id']}")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await snap(page, "16-job-page")
    await page.goto(f"{base}/console/templates")
    await snap(page, "17-templates")
    await page.goto(f"{base}/?view=awaiting_payment")
    for box in (await page.get_by_role("checkbox", name=re.compile("^Select ")).all())[:3]:
        await box.check()
    # Deferring needs no invoice render (this script runs no invoicing service).
    await page.get_by_label("With the selected jobs").select_option(label="Defer commission")
    await page.get_by_label("Reason (to defer)").fill("Month-end review")
    await page.get_by_role("button", name="Apply to selected").click()
    await expect(page.locator("#bulk-results table")).to_be_visible()
    await page.locator("#bulk-results").scroll_into_view_if_needed()
    await snap(page, "18-bulk-actions")


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # A laptop's stack with its placeholders, as the tests' (services refuse them otherwise).
    os.environ.setdefault("JOBLINE_ENV", "development")
    with provide() as infra, tempfile.TemporaryDirectory() as tmp:
        await ensure_topics(infra.kafka_bootstrap_servers, TOPICS, client_id="screenshots")
        async with fresh_database(infra.database_url) as url:
            conn = await asyncpg.connect(url)
            await migrate(conn)
            env = jobs_env(url, infra.kafka_bootstrap_servers, f"screens-{uuid.uuid4().hex[:8]}")
            jobs = ServiceProcess(
                "jobs", {**env, "JOBLINE_JOBS_BLOB_URL": Path(tmp).as_uri()}, Path(tmp)
            )
            await asyncio.to_thread(jobs.start)
            try:
                demo = {**os.environ, "DATABASE_URL": url, "JOBLINE_API_URL": jobs.url}
                demo["KAFKA_BOOTSTRAP_SERVERS"] = infra.kafka_bootstrap_servers
                loader = [sys.executable, str(ROOT / "deploy" / "demo" / "load_demo.py")]
                await asyncio.to_thread(subprocess.run, loader, env=demo, check=True)
                token = await issue_token(conn, "acme", "operator", "screenshots")
                pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
                try:
                    user = await make_user(pool, "acme", "admin", "Ada Admin")
                finally:
                    await pool.close()
                await shoot(jobs.url, token, user)
            finally:
                await conn.close()
                await asyncio.to_thread(jobs.stop)


if __name__ == "__main__":
    asyncio.run(main())

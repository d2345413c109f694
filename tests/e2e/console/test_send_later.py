"""Issue 18 in the browser, through the running jobs and comms services and the Twilio
sandbox: a text scheduled for later, one called off (it never leaves), another leaving at
its time; a template written on the templates page, picked in the text dialog, merged for
the job with plain punctuation, reaching the sandbox as the preview showed it."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, sign_in
from playwright.async_api import Browser, Page, expect

from jobline_testing.accounts import make_user
from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e
ZONE = ZoneInfo("America/Denver")  # the test tenant's zone (conftest)
AHEAD = timedelta(seconds=30)  # long enough to fill in two dialogs on a busy machine


@pytest.fixture
async def admin_page(
    browser: Browser, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
) -> AsyncIterator[Page]:
    admin = await make_user(db, tenant, "admin", "Ada Admin")
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    tab = await context.new_page()
    await sign_in(tab, jobs_service.url, admin)
    yield tab
    await context.close()


async def received(sandboxes: Sandboxes) -> list[dict]:
    async with httpx.AsyncClient() as client:
        found: list[dict] = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    return found


async def schedule_text(page: Page, job, body: str, at: datetime) -> None:
    await open_action(page, job, "Send text message")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Message").fill(body)
    await dialog.get_by_label("Send at", exact=True).check()
    await dialog.get_by_label("Date and time").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    await dialog.get_by_role("button", name="Send text").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Text scheduled for")


@pytest.mark.usefixtures("comms_service")
async def test_a_canceled_text_never_leaves_and_another_leaves_at_its_time(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, sandboxes: Sandboxes
):
    job = await jobs.make("in_progress")
    await page.reload()
    at = datetime.now(ZONE).replace(microsecond=0) + AHEAD
    dialog = page.locator("dialog[open]")

    await schedule_text(page, job, f"Called off {job.number}", at)
    await expect(dialog.locator(".deliveries .status")).to_have_text(["scheduled"])
    await dialog.get_by_role("button", name="Cancel scheduled text").click()
    await expect(dialog.get_by_role("status").last).to_have_text(
        "Canceled: this message will not be sent."
    )
    await expect(dialog.locator(".deliveries .status")).to_have_text(["canceled"])
    await dialog.get_by_role("button", name="Done").click()

    await schedule_text(page, job, f"Reminder for {job.number}", at)
    assert [m for m in await received(sandboxes) if job.number in m["body"]] == []  # not yet
    # The open dialog follows it: scheduled until its time, then delivered, no reload.
    await expect(dialog.locator(".deliveries .status")).to_have_text(["delivered"], timeout=90_000)
    assert datetime.now(ZONE) >= at
    texts = [m["body"] for m in await received(sandboxes) if job.number in m["body"]]
    assert texts == [f"Reminder for {job.number}"]  # the canceled one, due as early, never left
    sent = (await api.get(f"/v1/jobs/{job.job_id}/communications")).json()["items"]
    assert [[d["status"] for d in c["deliveries"]] for c in sent] == [["canceled"], ["delivered"]]


@pytest.mark.usefixtures("comms_service")
async def test_a_templates_merged_text_reaches_the_twilio_sandbox(
    admin_page: Page, jobs: Jobs, sandboxes: Sandboxes
):
    page = admin_page
    job = await jobs.make("in_progress", technician="Sam Ortiz")
    await page.get_by_role("link", name="Templates").click()
    await expect(page.get_by_role("heading", name="Message templates")).to_be_visible()
    await page.get_by_label("Name").fill("On our way")
    await page.get_by_label("Sent as").select_option(label="Text message")
    await page.get_by_label("Message").fill(
        "Hi {customer_first_name}, {technician} is on the way for job {job_number}."
    )
    await page.get_by_role("button", name="Add template").click()
    await expect(page.get_by_role("status")).to_have_text("Template saved.")
    await expect(page.get_by_role("cell", name="On our way", exact=True)).to_be_visible()

    await page.get_by_role("link", name="Back to jobs").click()
    await open_action(page, job, "Send text message")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Template").select_option(label="On our way")
    merged = f"Hi Dana, Sam Ortiz is on the way for job {job.number}."
    await expect(dialog.get_by_label("Message")).to_have_value(merged)
    # A pasted curly apostrophe: plain punctuation keeps the limit at 160, off it is 70.
    await dialog.get_by_label("Message").fill(merged + " We\u2019re close.")
    plain = merged + " We're close."
    counter = dialog.locator("output")
    await expect(counter).to_have_text(f"{len(plain)} of 160 characters")
    await expect(dialog.locator(".preview-text")).to_have_text(plain)
    await dialog.get_by_label("Use plain quotes and dashes").uncheck()
    await expect(counter).to_contain_text("of 70 characters")
    await dialog.get_by_label("Use plain quotes and dashes").check()
    # The counter and preview work on the merged text as the operator types fields too.
    await dialog.get_by_label("Message").fill("{customer_first_name}: " + plain)
    await expect(dialog.locator(".preview-text")).to_have_text("Dana: " + plain)
    await expect(counter).to_have_text(f"{len('Dana: ' + plain)} of 160 characters")
    await dialog.get_by_role("button", name="Send text").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Text on its way")

    async def arrived() -> bool:
        return any(m["body"] == "Dana: " + plain for m in await received(sandboxes))

    await eventually(arrived, within=60)

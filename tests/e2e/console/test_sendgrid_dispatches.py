"""An invoice emailed through SendGrid, as the office reads it: the console's dispatches
dialog shows each recipient's outcome from SendGrid's signed events (issue 20)."""

import re

import httpx
import pytest
from e2e.console.browsing import Jobs, open_action
from playwright.async_api import Page, expect

from jobline_sandboxes.sendgrid_sandbox import magic
from jobline_testing.polling import eventually

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("sendgrid_comms_service", "invoicing_service"),
]
PEOPLE = [
    ("Dana Whitfield", None, "delivered@example.com"),
    ("Old address", None, "bounce@example.com"),
    ("Spam trap", None, "dropped@example.com"),
]


async def test_the_dispatches_dialog_shows_delivered_bounced_and_dropped(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    job = await jobs.make("awaiting_payment", people=PEOPLE)
    await page.reload()
    await open_action(page, job, "Resend invoice to customer")
    dialog = page.locator("dialog[open]")
    for name, _, _ in PEOPLE:
        await dialog.get_by_label(name).check()
    await dialog.get_by_role("button", name="Send invoice").click()
    await expect(dialog.get_by_role("row")).to_have_count(4, timeout=30_000)  # head + 3
    await dialog.get_by_role("button", name="Done").click()

    async def settled() -> bool:  # SendGrid's events reach the ledger after the send
        sends = (await api.get(f"/v1/jobs/{job.job_id}/invoice/sends")).json()["items"]
        statuses = {d["status"] for s in sends for d in s["deliveries"]}
        return statuses == {"delivered", "bounced", "failed"}

    await eventually(settled, within=60)
    await open_action(page, job, "View all invoice dispatches")
    dialog = page.locator("dialog[open]")
    recipients = dialog.get_by_role("table", name=re.compile("Recipients of"))
    delivered = recipients.get_by_role("row", name=re.compile("Dana Whitfield"))
    bounced = recipients.get_by_role("row", name=re.compile("Old address"))
    dropped = recipients.get_by_role("row", name=re.compile("Spam trap"))
    await expect(delivered.get_by_role("cell").nth(2)).to_have_text("delivered")
    await expect(bounced.get_by_role("cell").nth(2)).to_have_text("bounced")
    await expect(bounced.get_by_role("cell").nth(3)).to_contain_text(magic.BOUNCE_REASON)
    await expect(dropped.get_by_role("cell").nth(2)).to_have_text("failed")
    await expect(dropped.get_by_role("cell").nth(3)).to_contain_text(magic.DROPPED_REASON)


ENGAGED = [
    ("Olive Reader", None, "opened@example.com"),
    ("Dev Later", None, "deferred@example.com"),
]


async def test_the_dispatches_dialog_shows_opened_and_deferred_in_plain_words(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    job = await jobs.make("awaiting_payment", people=ENGAGED)
    await page.reload()
    await open_action(page, job, "Resend invoice to customer")
    dialog = page.locator("dialog[open]")
    for name, _, _ in ENGAGED:
        await dialog.get_by_label(name).check()
    await dialog.get_by_role("button", name="Send invoice").click()
    await expect(dialog.get_by_role("row")).to_have_count(3, timeout=30_000)  # head + 2
    await dialog.get_by_role("button", name="Done").click()

    async def settled() -> bool:  # the open and the deferral come after the send
        sends = (await api.get(f"/v1/jobs/{job.job_id}/invoice/sends")).json()["items"]
        seen = {(d["opened_at"] is not None, d["deferred_reason"]) for d in sends[0]["deliveries"]}
        return seen == {(True, None), (False, magic.DEFERRED_RESPONSE)}

    await eventually(settled, within=60)
    await open_action(page, job, "View all invoice dispatches")
    dialog = page.locator("dialog[open]")
    recipients = dialog.get_by_role("table", name=re.compile("Recipients of"))
    opened = recipients.get_by_role("row", name=re.compile("Olive Reader"))
    deferred = recipients.get_by_role("row", name=re.compile("Dev Later"))
    await expect(opened.get_by_role("cell").nth(2)).to_have_text(
        re.compile(r"delivered\s*· opened")
    )
    await expect(deferred.get_by_role("cell").nth(2)).to_have_text(
        re.compile(rf"delivered\s*· deferred: {re.escape(magic.DEFERRED_RESPONSE)}")
    )

"""Texting from the console through the running jobs and comms services and the Twilio
sandbox, with the live counter that mirrors the one-segment rule."""

import httpx
import pytest
from e2e.console.browsing import Jobs, open_action
from playwright.async_api import Page, expect

from jobline_testing.sandboxes import Sandboxes

pytestmark = pytest.mark.e2e
TWO = [("Dana Whitfield", "+15555550131", None), ("Sam Whitfield", "+15555550132", None)]


@pytest.mark.usefixtures("comms_service")
async def test_a_text_to_two_recipients_shows_both_delivered_live(
    page: Page, jobs: Jobs, sandboxes: Sandboxes
):
    job = await jobs.make("in_progress", people=TWO)
    await page.reload()
    await open_action(page, job, "Send text message")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Sam Whitfield").check()
    body = f"Luis is on his way to {job.number}"
    await dialog.get_by_label("Message").fill(body)
    await expect(dialog.locator("output")).to_have_text(f"{len(body)} of 160 characters")
    await dialog.get_by_role("button", name="Send text").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Text on its way")
    statuses = dialog.locator(".deliveries tbody tr .status")
    # Queued, then sent, then delivered as the sandbox's callbacks come back: no reload.
    await expect(statuses).to_have_text(["delivered", "delivered"], timeout=60_000)
    await expect(dialog.locator(".deliveries caption")).to_contain_text("(final)")
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    assert sorted(r["to"] for r in received if r["body"] == body) == [
        "+15555550131",
        "+15555550132",
    ]


async def test_a_161_character_text_is_flagged_while_typing_and_refused(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    job = await jobs.make(people=TWO)
    await page.reload()
    await open_action(page, job, "Send text message")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    counter = dialog.locator("output")
    await dialog.get_by_label("Message").fill("x" * 160)
    await expect(counter).to_have_text("160 of 160 characters")
    await expect(counter).not_to_have_class("counter over")
    await dialog.get_by_label("Message").press("y")
    await expect(counter).to_have_class("counter over")
    await expect(counter).to_have_text("one text message holds 160 characters; this one has 161")
    assert await counter.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"
    # An emoji needs UCS-2, where one segment holds 70: the counter names the culprit.
    await dialog.get_by_label("Message").fill("Running late 🙏")
    await expect(counter).to_have_text("15 of 70 characters (“🙏” lowers the limit from 160)")
    await dialog.get_by_label("Message").fill("x" * 161)
    # The server stays the authority: the save is refused with the API's reason.
    await dialog.get_by_role("button", name="Send text").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        "One text message holds 160 characters; this one has 161."
    )
    await expect(dialog.get_by_label("Dana Whitfield")).to_be_checked()
    await expect(dialog.get_by_label("Message")).to_have_value("x" * 161)
    sent = (await api.get(f"/v1/jobs/{job.job_id}/communications")).json()["items"]
    assert sent == []

"""Deferring and un-deferring commission from the console, once with the mouse and once
with the keyboard only."""

import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, row
from playwright.async_api import Page, expect

pytestmark = pytest.mark.e2e


async def test_defer_and_undefer(page: Page, jobs: Jobs, api: httpx.AsyncClient):
    job = await jobs.make("awaiting_billing")
    await page.reload()
    await open_action(page, job, "Defer commission")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Reason").fill("Customer disputes the labour")
    await dialog.get_by_role("button", name="Defer commission").click()
    await expect(dialog.get_by_role("status")).to_contain_text("deferred: Customer disputes")
    # The list behind the dialog reloads itself.
    await expect(row(page, job)).to_contain_text("Deferred Customer disputes the labour")
    await expect(page.locator("#view-option-deferred")).to_have_text("Deferred (1)")
    await expect(page.locator("#view-option-awaiting_billing")).to_have_text("Awaiting billing (0)")
    await dialog.get_by_role("button", name="Done").click()
    assert (await api.get(f"/v1/jobs/{job.job_id}")).json()["deferral"]["reason"] == (
        "Customer disputes the labour"
    )

    await row(page, job).get_by_role("button", name="Available actions").click()
    defer = page.get_by_role("menuitem", name="Defer commission", exact=True)
    await expect(defer).to_have_attribute("aria-disabled", "true")
    await expect(defer).to_contain_text("the job is deferred already; un-defer it instead")
    await page.get_by_role("menuitem", name="Un-defer commission").click()
    dialog = page.locator("dialog[open]")
    await dialog.get_by_role("button", name="Un-defer commission").click()
    await expect(dialog.get_by_role("status")).to_contain_text("released")
    await expect(row(page, job).locator("td").nth(5)).to_have_text("—")
    assert (await api.get(f"/v1/jobs/{job.job_id}")).json()["deferral"] is None


async def focused(page: Page) -> str:
    return await page.evaluate(
        "() => document.activeElement.id || document.activeElement.textContent.trim()"
    )


async def test_the_defer_dialog_works_by_keyboard_only(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    job = await jobs.make("in_progress")
    await page.reload()
    # As on a busy machine: htmx settles swapped-in content (and wires its forms up) late.
    # A dialog must still submit through htmx when the keys come at once.
    await page.evaluate("htmx.config.defaultSettleDelay = 1000")
    button_id = f"actions-{job.job_id}"
    for _ in range(40):  # Tab through the page to the row's actions button
        await page.keyboard.press("Tab")
        if await focused(page) == button_id:
            break
    assert await focused(page) == button_id
    await page.keyboard.press("Enter")
    menu = page.locator(f"#menu-{job.job_id}")
    await expect(menu).to_be_visible()
    await expect(
        page.get_by_role("button", name=f"Available actions for {job.number}")
    ).to_have_attribute("aria-expanded", "true")
    await expect(menu.get_by_role("menuitem").first).to_be_focused()
    # Escape closes the menu and gives focus back; ArrowDown opens it again.
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    assert await focused(page) == button_id
    await page.keyboard.press("ArrowDown")
    await expect(menu.get_by_role("menuitem").first).to_be_focused()
    defer = menu.get_by_role("menuitem", name="Defer commission", exact=True)
    for _ in range(10):
        if await defer.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("ArrowDown")
    await expect(defer).to_be_focused()
    await page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    await expect(dialog.get_by_label("Reason")).to_be_focused()
    await page.keyboard.type("Awaiting a parts refund")
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("button", name="Defer commission")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(dialog.get_by_role("status")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("dialog[open]")).to_have_count(0)
    await expect(page.locator(f"#{button_id}")).to_be_focused()
    await expect(row(page, job)).to_contain_text("Deferred Awaiting a parts refund")
    assert (await api.get(f"/v1/jobs/{job.job_id}")).json()["deferral"]["reason"] == (
        "Awaiting a parts refund"
    )

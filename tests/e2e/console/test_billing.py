"""Staged billing and recall links from the console: three subjobs 20/20/60 that add up
to the parent, and a recall whose chargeback the dialog shows."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, row
from playwright.async_api import Page, expect

pytestmark = pytest.mark.e2e


async def test_three_subjobs_20_20_60_schedule_the_whole_job(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    parent = await jobs.make("awaiting_billing")
    await page.reload()
    await open_action(page, parent, "Create subjob")
    dialog = page.locator("dialog[open]")
    await expect(dialog.locator("#remaining")).to_have_text("USD 1,209.49")
    today = datetime.now(ZoneInfo("America/Denver")).date()  # the tenant's zone
    later, last = today + timedelta(days=28), today + timedelta(days=56)
    for title, percent, bill_on in (
        ("Deposit", "20", today.isoformat()),
        ("Rough-in", "20", later.isoformat()),
        ("Final", "60", last.isoformat()),
    ):
        await dialog.get_by_label("Title").fill(title)
        await dialog.get_by_role("radio", name="Percent").check()
        await dialog.get_by_label("Share (a percent, or an amount)").fill(percent)
        await dialog.get_by_label("Bill date").fill(bill_on)
        await dialog.get_by_role("button", name="Create subjob").click()
        await expect(dialog.get_by_role("status")).to_contain_text(f"“{title}”")
    schedule = (await api.get(f"/v1/jobs/{parent.job_id}/subjobs")).json()
    amounts = [s["amount"] for s in schedule["subjobs"]]
    assert amounts == ["241.89", "241.89", "725.71"]  # the last share takes the remainder
    rows = dialog.locator("table.schedule tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.locator("td:nth-of-type(3)")).to_have_text(
        ["USD 241.89", "USD 241.89", "USD 725.71"]
    )
    await expect(rows.locator("td:nth-of-type(2)")).to_have_text(["20 %", "20 %", "60 %"])
    await expect(dialog.locator("#remaining")).to_have_text("USD 0.00")
    # The later stages are scheduled, not billable, until their dates.
    await expect(rows.locator("td:nth-of-type(6)")).to_have_text(
        ["Awaiting billing", f"Due to bill on {later}", f"Due to bill on {last}"]
    )
    # A fourth share would overshoot: the API's refusal shows in the dialog.
    await dialog.get_by_label("Title").fill("Extra")
    await dialog.get_by_label("Share (a percent, or an amount)").fill("1")
    await dialog.get_by_role("button", name="Create subjob").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("100")
    await dialog.get_by_role("button", name="Close dialog").click()
    # In the list, a stage waiting for its date says so under its step.
    await page.reload()
    waiting = page.locator(f"tr[data-number='{parent.number}-2']")
    await expect(waiting.locator("td[data-label='Step']")).to_have_text(
        f"Awaiting billing due to bill on {later}"
    )
    # The menu now says why no further subjob can be made.
    await row(page, parent).get_by_role("button", name="Available actions").click()
    item = page.get_by_role("menuitem", name="Create subjob")
    await expect(item).to_have_attribute("aria-disabled", "true")
    await expect(item).to_contain_text("100 % of the job is scheduled in subjobs already")
    # Its subjobs bill it: no invoice for its total, its statement instead.
    download = page.get_by_role("menuitem", name="Download invoice")
    await expect(download).to_have_attribute("aria-disabled", "true")
    await expect(download).to_contain_text("it has a statement, not an invoice")
    await page.get_by_role("menuitem", name="View statement").click()
    statement = page.locator("dialog[open]")
    await expect(statement.locator("#outstanding")).to_have_text("USD 1,209.49")
    await expect(statement.locator("table.statement tbody tr")).to_have_count(3)


async def test_linking_a_recall_shows_the_chargeback_recorded(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    original = await jobs.make("awaiting_billing", customer="Morgan Reyes")
    recall = await jobs.make(
        customer="Morgan Reyes", technician="Ana Lopez", same_customer_as=original
    )
    await page.reload()
    await open_action(page, recall, "Link recall job")
    dialog = page.locator("dialog[open]")
    await expect(dialog.locator("#chargeback-rule")).to_contain_text("Ana Lopez")
    await dialog.get_by_label("Find the original job").fill(original.number)
    candidates = dialog.locator("#recall-candidates input[type=radio]")
    await expect(candidates).to_have_count(1)
    await dialog.get_by_label(original.number).check()
    # Before anything is recorded, the dialog says what will be charged back.
    preview = dialog.locator("#chargeback-preview")
    await expect(preview).to_contain_text("Linking will record a chargeback of USD")
    await expect(preview).to_contain_text("against Sam Ortiz")
    previewed = (await preview.locator("strong").inner_text()).removeprefix("USD ")
    await dialog.get_by_label("Reason").fill("The same leak came back")
    await dialog.get_by_role("button", name="Link recall and record chargeback").click()
    await expect(dialog.get_by_role("status")).to_have_text(
        f"{recall.number} is now linked as a recall of {original.number}."
    )
    now = datetime.now(UTC)
    commissions = await api.get(
        f"/v1/technicians/{original.technician_id}/commissions",
        params={
            "from": (now - timedelta(days=1)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        },
    )
    charged = commissions.json()["totals"]["charged_back"]
    assert charged.startswith("-")
    assert charged[1:] == previewed
    await expect(dialog.locator("#chargeback")).to_have_text(
        f"Chargeback recorded: USD {charged[1:]} against Sam Ortiz, the technician of"
        f" {original.number}."
    )
    # Linked once: the menu now says so.
    await dialog.get_by_role("button", name="Done").click()
    await row(page, recall).get_by_role("button", name="Available actions").click()
    item = page.get_by_role("menuitem", name="Link recall job")
    await expect(item).to_contain_text("the job is linked to its original already")
    # Next to it, the way out: unlinking (with a reason) reverses the chargeback.
    await page.get_by_role("menuitem", name="Unlink recall").click()
    dialog = page.locator("dialog[open]")
    await expect(dialog).to_contain_text(f"linked as a recall of {original.number}")
    await dialog.get_by_label("Reason").fill("A new fitting failed, not the repair")
    await dialog.get_by_role("button", name="Unlink recall").click()
    await expect(dialog.get_by_role("status")).to_contain_text(
        f"{recall.number} is no longer a recall of {original.number}"
    )
    ledger = await api.get(
        f"/v1/technicians/{original.technician_id}/commissions",
        params={
            "from": (now - timedelta(days=1)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert ledger.json()["totals"]["reversed"] == charged[1:]


async def test_the_recall_picker_offers_finished_work_of_the_same_customer_first(
    page: Page, jobs: Jobs
):
    finished = await jobs.make("awaiting_payment", customer="Lee Park")
    unfinished = await jobs.make(customer="Lee Park", same_customer_as=finished)
    recall = await jobs.make(customer="Lee Park", technician="Ana Lopez", same_customer_as=finished)
    elsewhere = await jobs.make("awaiting_billing", customer="Robin Hale")
    await page.reload()
    await open_action(page, recall, "Link recall job")
    dialog = page.locator("dialog[open]")
    picker = dialog.get_by_role("group", name="Original job")
    # Unsearched, the picker holds this customer's finished work, and nothing else.
    await expect(picker.get_by_label(finished.number)).to_be_visible()
    await expect(picker.get_by_role("radio")).to_have_count(1)
    await expect(picker.get_by_label(unfinished.number)).to_have_count(0)
    # Another customer's job is found only behind "show", under a warning.
    await dialog.get_by_label("Find the original job").fill(elsewhere.number)
    await expect(picker).to_contain_text("No finished job of Lee Park or at this property matches.")
    await expect(picker.get_by_label(elsewhere.number)).to_have_count(0)
    await picker.get_by_label("Show other customers' jobs too").check()
    await expect(picker.get_by_label(elsewhere.number)).to_be_visible()
    await expect(picker).to_contain_text("These jobs are other customers' or at other properties.")
    # Work not completed is never offered: the API would refuse it as an original.
    await dialog.get_by_label("Find the original job").fill(unfinished.number)
    await expect(picker).to_contain_text("No finished job of another customer matches.")
    await expect(picker.get_by_role("radio")).to_have_count(0)

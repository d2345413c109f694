"""Bulk actions from the list in the browser: select rows, resend their invoices, and read
a result per job (one job without an email contact says so; the others are sent)."""

import httpx
import pytest
from e2e.console.browsing import Jobs
from playwright.async_api import Page, expect

from jobline_testing.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service", "invoicing_service")]


async def test_resend_three_jobs_invoices_at_once_with_a_result_per_job(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    billed = [await jobs.make("awaiting_payment", customer=f"Bulk {n}") for n in range(3)]
    no_email = await jobs.make("awaiting_payment", people=[("Sam Phone", "+15555550177", None)])
    await page.goto(page.url.split("?")[0] + "?view=awaiting_payment")
    for job in [*billed, no_email]:
        await page.get_by_label(f"Select {job.number}").check()
    await page.get_by_label("With the selected jobs").select_option(label="Resend invoice")
    await page.get_by_role("button", name="Apply to selected").click()
    results = page.get_by_role("table", name="Resend invoice: 3 of 4 done")
    await expect(results).to_be_visible(timeout=60_000)
    for job in billed:
        await expect(results.get_by_role("row", name=job.number)).to_contain_text(
            "Invoice sent to 1 contact"
        )
    await expect(results.get_by_role("row", name=no_email.number)).to_contain_text(
        "No customer or property contact has an email."
    )

    async def each_sent_once() -> bool:
        for job in billed:
            sends = (await api.get(f"/v1/jobs/{job.job_id}/invoice/sends")).json()["items"]
            if len(sends) != 1:
                return False
        return True

    await eventually(each_sent_once, within=30)
    assert (await api.get(f"/v1/jobs/{no_email.job_id}/invoice/sends")).json()["items"] == []


async def test_bulk_defer_needs_a_reason_and_selected_rows(page: Page, jobs: Jobs):
    job = await jobs.make("awaiting_billing")
    await page.reload()
    await page.get_by_label("With the selected jobs").select_option(label="Defer commission")
    await page.get_by_role("button", name="Apply to selected").click()
    await expect(page.get_by_role("alert")).to_have_text("Select at least one job in the list.")
    await page.get_by_label(f"Select {job.number}").check()
    await page.get_by_role("button", name="Apply to selected").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Give the reason for deferring their commission."
    )
    await page.get_by_label("Reason (to defer)").fill("Customer dispute")
    await page.get_by_role("button", name="Apply to selected").click()
    results = page.get_by_role("table", name="Defer commission: 1 of 1 done")
    await expect(results.get_by_role("row", name=job.number)).to_contain_text(
        "Commission deferred."
    )

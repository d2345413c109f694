"""The settings page: an admin changes the tenant's settings by their labels, a refusal
shows the API's reason and changes nothing; an operator sees them read-only."""

from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import httpx
import pytest
from e2e.console.browsing import sign_in
from playwright.async_api import Browser, Page, expect

from jobline_testing.accounts import make_user
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e


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


async def test_an_admin_edits_the_settings_by_their_labels(
    admin_page: Page, api: httpx.AsyncClient
):
    page = admin_page
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    await page.get_by_label("Tax id", exact=True).fill("12-3456789")
    await page.get_by_label("Tax id label").fill("EIN")
    await page.get_by_label("Payment terms (days)").fill("14")
    await page.get_by_label("Recall chargeback (% of the fixing charge)").fill("50")
    await page.get_by_label("Commission split between technicians").select_option("equal")
    await page.get_by_label("When a change lowers an issued invoice").select_option(
        label="Issue a credit note for the difference"
    )
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_have_text("Settings saved.")
    saved = (await api.get("/v1/tenant/settings")).json()
    assert saved["tax_id"] == "12-3456789"
    assert saved["tax_id_label"] == "EIN"
    assert saved["payment_terms_days"] == 14
    assert Decimal(saved["chargeback_percent"]) == Decimal("0.5")
    assert saved["commission_split_rule"] == "equal"
    assert saved["invoice_revision_convention"] == "credit_note"

    await page.get_by_label("Brand colour (#rrggbb)").fill("teal")
    await page.get_by_label("Payment terms (days)").fill("30")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Brand colour must be a colour as #rrggbb"
    )
    assert (await api.get("/v1/tenant/settings")).json() == saved


async def test_an_operator_sees_the_settings_read_only(page: Page, api: httpx.AsyncClient):
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_label("Business name")).to_be_disabled()
    await expect(page.get_by_text("Only an admin can change these settings")).to_be_visible()
    await expect(page.get_by_role("button", name="Save settings")).to_have_count(0)

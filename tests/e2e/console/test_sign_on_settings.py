"""Issue 18: an admin sets the business's single sign-on on its console page against the
local OpenID Connect issuer (a wrong address first, refused in words), signs out and signs
back in through it; a viewer neither sees nor reaches the page."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from e2e.console.browsing import sign_in
from playwright.async_api import Page, expect

from jobline_sandboxes.oidc_issuer import OidcIssuer
from jobline_testing.accounts import make_user
from jobline_testing.sandboxes import running_oidc_issuer
from jobline_testing.services import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
CLIENT = ("jobline-console", "a client secret only the two know")


@pytest.fixture
async def issuer() -> AsyncIterator[OidcIssuer]:
    """The local issuer, not yet the business's: the admin sets it on the page."""
    async with running_oidc_issuer({CLIENT[0]: CLIENT[1]}) as found:
        yield found


async def _save(tab: Page, issuer_url: str) -> None:
    await tab.get_by_label("Issuer URL").fill(issuer_url)
    await tab.get_by_label("Client ID").fill(CLIENT[0])
    await tab.get_by_label("Client secret").fill(CLIENT[1])
    await tab.get_by_role("button", name="Save single sign-on").click()


async def test_an_admin_sets_single_sign_on_and_signs_in_through_it(
    tab: Page, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str, issuer: OidcIssuer
):
    admin = await make_user(db, tenant, "admin", "Ada Admin")
    await sign_in(tab, jobs_service.url, admin)
    await tab.get_by_role("link", name="Single sign-on").click()
    await expect(tab.get_by_role("heading", name="Single sign-on", exact=True)).to_be_visible()
    await expect(tab.get_by_text("Single sign-on is off")).to_be_visible()

    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    await _save(tab, nowhere)
    await expect(tab.get_by_role("alert")).to_have_text(
        f"Jobline could not reach {nowhere}: check the address and that the issuer is "
        "running. Nothing was changed."
    )
    await expect(tab.get_by_text("Single sign-on is off")).to_be_visible()

    await _save(tab, issuer.issuer)
    await expect(tab.get_by_role("status")).to_have_text("Single sign-on saved.")
    now = tab.get_by_role("region", name="Now")
    await expect(now).to_contain_text(issuer.issuer)
    await expect(now).to_contain_text(CLIENT[0])
    await expect(now).to_contain_text("Ada Admin")
    await expect(tab.get_by_label("Client secret")).to_have_value("")  # write-only
    await expect(tab.get_by_text(CLIENT[1])).to_have_count(0)

    await tab.get_by_role("button", name="Sign out").click()
    await tab.get_by_label("Business ID").fill(tenant)
    await tab.get_by_role("button", name="Continue with single sign-on").click()
    await expect(tab.get_by_role("heading", name="Test identity provider")).to_be_visible()
    await tab.get_by_label("Email address").fill(admin.email)
    await tab.get_by_role("button", name="Approve sign-in").click()
    await expect(tab.get_by_role("heading", name="Jobs")).to_be_visible()
    await expect(tab.get_by_role("link", name="Ada Admin")).to_be_visible()


async def test_a_viewer_neither_sees_nor_reaches_single_sign_on(
    tab: Page, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
):
    viewer = await make_user(db, tenant, "viewer", "Vic Viewer")
    await sign_in(tab, jobs_service.url, viewer)
    await expect(tab.get_by_role("link", name="Single sign-on")).to_have_count(0)
    await tab.goto(f"{jobs_service.url}/console/sign-on")
    await expect(tab.get_by_role("alert")).to_have_text(
        "Only an admin can see and change the business's single sign-on."
    )
    await expect(tab.get_by_label("Issuer URL")).to_have_count(0)
    await expect(tab.get_by_role("button", name="Save single sign-on")).to_have_count(0)

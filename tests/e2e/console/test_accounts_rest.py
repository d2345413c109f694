"""Issue 18, the rest, in the browser through the running services: single sign-on through
the business's OpenID Connect issuer (the local one), a user changing their own password,
an admin changing a role, a bulk text to selected jobs reaching the Twilio sandbox merged
per job, and a customer email in the SMTP catcher From the business."""

import re
import uuid
from collections.abc import AsyncIterator
from email.utils import getaddresses

import asyncpg
import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, sign_in
from e2e.console.test_invoices import mail_to
from playwright.async_api import Browser, Page, expect

from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.service_layer.sign_on_ports import SignOnChange
from jobline_sandboxes.oidc_issuer import OidcIssuer
from jobline_testing.accounts import TestUser, make_user
from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes, running_oidc_issuer
from jobline_testing.services import ServiceProcess
from jobs_testing.api import sign_on_store

pytestmark = pytest.mark.e2e
CLIENT = ("jobline-console", "a client secret only the two know")
NEW = "a brand new passphrase"


@pytest.fixture
async def issuer(db: asyncpg.Pool, tenant: str) -> AsyncIterator[OidcIssuer]:
    """The local issuer, configured as the tenant's single sign-on."""
    async with running_oidc_issuer({CLIENT[0]: CLIENT[1]}) as found:
        change = SignOnChange(tenant, found.issuer, *CLIENT, None, "test")
        await sign_on_store(db).configure(change)  # sealed by the services' development key
        yield found


async def admin_api(jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str):
    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(base_url=jobs_service.url, headers=headers, timeout=30)


async def test_sign_in_through_the_businesss_single_sign_on(
    tab: Page, jobs_service: ServiceProcess, issuer: OidcIssuer, tenant: str, user: TestUser
):
    await tab.goto(f"{jobs_service.url}/login")
    await tab.get_by_label("Business ID").fill(tenant)
    await tab.get_by_role("button", name="Continue with single sign-on").click()
    await expect(tab.get_by_role("heading", name="Test identity provider")).to_be_visible()
    await tab.get_by_label("Email address").fill(user.email)
    await tab.get_by_role("button", name="Approve sign-in").click()
    await expect(tab.get_by_role("heading", name="Jobs")).to_be_visible()
    await expect(tab.get_by_role("link", name=user.name)).to_be_visible()

    # Someone the business never invited: vouched for by the issuer, still refused.
    await tab.get_by_role("button", name="Sign out").click()
    await tab.get_by_label("Business ID").fill(tenant)
    await tab.get_by_role("button", name="Continue with single sign-on").click()
    await tab.get_by_label("Email address").fill("stranger@example.com")
    await tab.get_by_role("button", name="Approve sign-in").click()
    await expect(tab.get_by_role("alert")).to_have_text(
        "No account of this business has the email stranger@example.com; "
        "ask an admin of your business to invite you."
    )


async def test_changing_ones_password_ends_the_other_browsers_session(
    browser: Browser, page: Page, jobs_service: ServiceProcess, user: TestUser
):
    other = await browser.new_context()
    phone = await other.new_page()
    await sign_in(phone, jobs_service.url, user)
    await page.get_by_role("link", name=user.name).click()
    await page.get_by_label("Current password").fill("not my password at all")
    await page.get_by_label("New password", exact=True).fill(NEW)
    await page.get_by_label("New password again").fill(NEW)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("alert")).to_have_text("That is not your current password.")
    await page.get_by_label("Current password").fill(user.password)
    await page.get_by_label("New password", exact=True).fill(NEW)
    await page.get_by_label("New password again").fill(NEW)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Your password is changed; your 1 other session has ended."
    )
    await phone.reload()
    await expect(phone).to_have_url(re.compile(r"/login$"))
    await other.close()


async def test_an_admin_changes_a_role_but_not_the_last_admins_own(
    tab: Page, jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str, user: TestUser
):
    admin = await make_user(db, tenant, "admin", "Ada Admin")
    await sign_in(tab, jobs_service.url, admin)
    await tab.get_by_role("link", name="Users").click()
    await tab.get_by_role("combobox", name="Access of Ada Admin").select_option(label="Operator")
    await tab.get_by_role("button", name="Change access of Ada Admin").click()
    await expect(tab.get_by_role("alert")).to_have_text(
        "The business needs at least one admin: make another user an admin first, "
        "then change this role."
    )
    await tab.get_by_role("combobox", name=f"Access of {user.name}").select_option(label="Viewer")
    await tab.get_by_role("button", name=f"Change access of {user.name}").click()
    await expect(tab.get_by_role("status")).to_have_text(f"{user.name} is now a viewer.")
    await expect(tab.get_by_role("combobox", name=f"Access of {user.name}")).to_have_value("viewer")


@pytest.mark.usefixtures("comms_service")
async def test_a_bulk_text_from_a_template_reaches_each_jobs_contacts_merged(
    page: Page,
    jobs: Jobs,
    jobs_service: ServiceProcess,
    db: asyncpg.Pool,
    tenant: str,
    sandboxes: Sandboxes,
):
    async with await admin_api(jobs_service, db, tenant) as admin:
        saved = await admin.post(
            "/v1/tenant/templates",
            json={"name": "Running late", "channel": "sms", "body": "Hi {customer_first_name}, "
                  "we are running late for job {job_number}."},
        )  # fmt: skip
        assert saved.status_code == 201, saved.text
    phones = [f"+1555555{n:04d}" for n in range(7301, 7303)]
    texted = [
        await jobs.make(people=[(name, phone, None)], customer=name)
        for name, phone in zip(("Dana Whitfield", "Luis Ortega"), phones, strict=True)
    ]
    no_phone = await jobs.make(people=[("Ava Mail", None, "ava@example.com")])
    await page.reload()
    for job in [*texted, no_phone]:
        await page.get_by_label(f"Select {job.number}").check()
    await page.get_by_label("With the selected jobs").select_option(label="Send text")
    await page.get_by_label("Template (to text)").select_option(label="Running late")
    await page.get_by_role("button", name="Apply to selected").click()
    results = page.get_by_role("table", name="Send text: 2 of 3 done")
    await expect(results).to_be_visible(timeout=60_000)
    for job in texted:
        await expect(results.get_by_role("row", name=job.number)).to_contain_text(
            "Text on its way to 1 contact."
        )
    await expect(results.get_by_role("row", name=no_phone.number)).to_contain_text(
        "No customer or property contact has a mobile number."
    )
    # The message fields belong to the form, not to the results that replaced what was there.
    await expect(page.get_by_label("Template (to text)")).to_have_value(saved.json()["id"])
    expected = {
        phone: f"Hi {name.split()[0]}, we are running late for job {job.number}."
        for phone, name, job in zip(phones, ("Dana", "Luis"), texted, strict=True)
    }

    async def both_arrived() -> bool:
        async with httpx.AsyncClient() as client:
            got = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
        return {m["to"]: m["body"] for m in got if m["to"] in expected} == expected

    await eventually(both_arrived, within=60)


@pytest.mark.usefixtures("comms_service")
async def test_an_email_from_the_console_is_from_the_business_name_and_address(
    page: Page,
    jobs: Jobs,
    jobs_service: ServiceProcess,
    db: asyncpg.Pool,
    tenant: str,
    sandboxes: Sandboxes,
):
    business = {"business_name": "Acme Plumbing & Heating", "business_email": "office@acme.example"}
    async with await admin_api(jobs_service, db, tenant) as admin:
        assert (await admin.patch("/v1/tenant/settings", json=business)).status_code == 200
    dana = f"dana-{uuid.uuid4().hex[:8]}@example.com"
    job = await jobs.make(people=[("Dana Whitfield", None, dana)])
    await page.reload()
    await open_action(page, job, "Send email")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Subject").fill("Your visit tomorrow")
    await dialog.get_by_label("Message").fill("We arrive between 8 and 10.")
    await dialog.get_by_role("button", name="Send email").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Email on its way")
    message = await mail_to(sandboxes.mail_dir, dana)
    assert getaddresses([str(message["From"])]) == [
        ("Acme Plumbing & Heating", "office@acme.example")
    ]
    assert str(message["Reply-To"]) == "office@acme.example"

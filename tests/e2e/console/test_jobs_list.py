"""The Jobs list in the browser: signing in, every view against the API, search, pages."""

import re
from datetime import timedelta

import asyncpg
import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, row, sign_in
from playwright.async_api import Browser, Page, expect

from jobline_contracts import facts
from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_testing.accounts import TestUser, make_user
from jobline_testing.kafka import FactPublisher
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import NOW

pytestmark = pytest.mark.e2e
VIEWS = [
    "all",
    "completed_scheduled_today",
    "open_dispatch",
    "in_progress",
    "awaiting_quality_check",
    "awaiting_billing",
    "awaiting_payment",
    "deferred",
]


async def test_sign_in_keeps_an_opaque_session_id_in_an_httponly_lax_cookie(
    browser: Browser, jobs_service: ServiceProcess, user: TestUser
):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(jobs_service.url)
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_label("Email").fill(user.email)
    await page.get_by_label("Password").fill("not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    await expect(page.get_by_role("link", name=user.name)).to_be_visible()
    session = next(c for c in await context.cookies() if c["name"] == "jobline_session")
    assert (session["httpOnly"], session["sameSite"]) == (True, "Lax")
    assert session["value"].startswith("jls_")
    # A POST without the CSRF token (as another site's form would send) is refused.
    forged = await page.request.post(f"{jobs_service.url}/logout", form={"x": "1"})
    assert forged.status == 403
    # Nor is one that echoes the token but comes from another origin.
    csrf = await page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']"
    )
    elsewhere = await page.request.post(
        f"{jobs_service.url}/logout",
        form={"csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status == 403
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await context.close()


async def test_each_view_shows_the_rows_and_counts_the_api_gives(
    page: Page, jobs: Jobs, api: httpx.AsyncClient
):
    today = NOW.replace(hour=12) if NOW.hour < 12 else NOW
    await jobs.make("open_dispatch")
    await jobs.make("in_progress")
    await jobs.make("awaiting_quality_check", start=today - timedelta(hours=1))
    await jobs.make("awaiting_billing")
    await jobs.make("awaiting_payment")
    deferred = await jobs.make("awaiting_billing", customer="Lee Park")
    answer = await api.post(f"/v1/jobs/{deferred.job_id}/defer", json={"reason": "dispute"})
    assert answer.status_code == 200, answer.text
    await page.reload()
    counts = {v["view"]: v["count"] for v in (await api.get("/v1/jobs/views")).json()["views"]}
    assert counts["all"] == 6
    assert counts["deferred"] == 1

    for view in VIEWS:
        await page.get_by_label("View").select_option(view)
        expected = [
            j["number"] for j in (await api.get("/v1/jobs", params={"view": view})).json()["items"]
        ]
        caption = page.locator("#jobs caption")
        await expect(caption).to_contain_text(f": {counts[view]} job")  # "1 job", "6 jobs"
        await expect(page).to_have_url(re.compile(f"view={view}"))
        await expect(page.locator("#jobs tbody th[scope=row]")).to_have_text(expected)
        option = page.locator(f"#view-option-{view}")
        await expect(option).to_have_text(re.compile(rf"\({counts[view]}\)$"))
    # The deferred row says so, with its reason, and every column is filled in.
    await expect(row(page, deferred)).to_contain_text("Deferred dispute")
    cells = row(page, deferred).locator("td")
    await expect(cells.nth(0)).to_have_text("Lee Park")
    await expect(cells.nth(1)).to_have_text("12 Elm Street, Denver, CO, 80202")
    await expect(cells.nth(2)).to_have_text("Sam Ortiz")
    await expect(cells.nth(4)).to_have_text("Awaiting billing")
    await expect(cells.nth(6)).to_have_text("USD 1,209.49")


async def test_search_and_paging(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, jobs_service: ServiceProcess
):
    stories = [await jobs.make(customer=f"Customer {i}") for i in range(5)]
    await page.get_by_label("Search").fill("Customer 3")
    await expect(page.locator("#jobs tbody th[scope=row]")).to_have_text([stories[3].number])
    await expect(page).to_have_url(re.compile(r"q=Customer(\+|%20)3"))

    await page.goto(f"{jobs_service.url}/?view=all&limit=2")
    expected = [
        j["number"] for j in (await api.get("/v1/jobs", params={"limit": 200})).json()["items"]
    ]
    seen: list[str] = []
    for _ in range(3):
        numbers = page.locator("#jobs tbody th[scope=row]")
        await expect(numbers).to_have_count(2 if len(seen) < 4 else 1)
        seen += await numbers.all_inner_texts()
        if len(seen) < 5:
            await page.get_by_role("link", name="Next page").click()
            await expect(page.locator("#jobs tbody th[scope=row]").first).not_to_have_text(seen[-2])
    assert seen == expected
    await expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    await page.get_by_role("link", name="First page").click()
    await expect(page.locator("#jobs tbody th[scope=row]")).to_have_text(expected[:2])


async def test_a_viewer_sees_the_list_but_the_api_refuses_its_actions(
    browser: Browser, jobs_service: ServiceProcess, jobs: Jobs, db: asyncpg.Pool, tenant: str
):
    job = await jobs.make("awaiting_billing")
    viewer = await make_user(db, tenant, "viewer", "Vic Viewer")
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, jobs_service.url, viewer)
    await expect(row(page, job)).to_be_visible()
    await open_action(page, job, "Defer commission")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_label("Reason").fill("Not mine to defer")
    await dialog.get_by_role("button", name="Defer commission").click()
    await expect(dialog.get_by_role("alert")).to_have_text("A viewer cannot act on jobs.")
    await context.close()


async def test_the_dispatches_dialog_follows_a_visit_live(
    page: Page, jobs: Jobs, publisher: FactPublisher
):
    job = await jobs.make()
    await page.reload()
    await open_action(page, job, "View all invoice dispatches")
    visit = page.locator("dialog[open] article.visit")
    await expect(visit.locator(".status-history li")).to_have_text([re.compile("^Scheduled")])
    for status in ("dispatched", "en_route"):
        moved = facts.DispatchStatusChanged(
            job_id=job.job_id, dispatch_id=job.dispatch_id, status=facts.DispatchStatus(status)
        )
        await publisher.publish(DISPATCH_EVENTS.name, job.envelope(moved), job.key)
    # The open dialog polls: the new statuses appear without a reload.
    await expect(visit.locator(".status-history li")).to_have_text(
        [re.compile("^Scheduled"), re.compile("^Dispatched"), re.compile("^En route")]
    )
    await expect(visit.locator("h4 .status")).to_have_text("En route")


async def test_the_list_and_its_menu_fit_a_phone(page: Page, jobs: Jobs):
    job = await jobs.make("awaiting_billing")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    balance = row(page, job).locator("[data-label=Balance]")
    await expect(balance).to_have_text("USD 1,209.49")
    label = await balance.evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"Balance"'  # each cell of the card names its column
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
    await open_action(page, job, "Defer commission")
    box = await page.locator("dialog[open]").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390


async def test_arrowing_through_the_views_loads_only_the_view_it_stops_on(page: Page):
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if "view=" in r.url else None)
    await page.get_by_label("View").focus()
    # What arrow keys on a closed drop-down do: one change per key, in quick succession.
    await page.get_by_label("View").evaluate(
        """select => {
            for (const view of ["open_dispatch", "in_progress", "awaiting_billing"]) {
                select.value = view;
                select.dispatchEvent(new Event("change", {bubbles: true}));
            }
        }"""
    )
    await expect(page).to_have_url(re.compile("view=awaiting_billing"))
    await expect(page.locator("#jobs caption")).to_contain_text("Awaiting billing")
    assert len(loads) == 1, loads

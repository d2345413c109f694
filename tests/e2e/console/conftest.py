"""The console's browser tests: Debian's Chromium driven by Playwright (never a downloaded
browser) against the jobs service started by the root fixtures, signed in as an operator
of a fresh tenant whose jobs are published as upstream facts."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from e2e.console.browsing import CHROMIUM, Jobs, sign_in
from playwright.async_api import Browser, Page, async_playwright, expect

from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.accounts import TestUser, make_user
from jobline_testing.kafka import FactPublisher
from jobline_testing.services import ServiceProcess


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield found
        await found.close()


@pytest.fixture
async def token(db: asyncpg.Pool, tenant: str) -> str:
    async with db.acquire() as conn:
        return await issue_token(conn, tenant, "operator")


@pytest.fixture
async def user(db: asyncpg.Pool, tenant: str) -> TestUser:
    """The operator the browser signs in as."""
    return await make_user(db, tenant, "operator", "Olive Operator")


@pytest.fixture
async def api(jobs_service: ServiceProcess, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """The JSON API as the same operator: what the console shows is checked against it."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=jobs_service.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
async def tab(browser: Browser) -> AsyncIterator[Page]:
    """A browser tab at desktop width, signed in as nobody yet (Playwright's expect waits
    up to 15 s)."""
    expect.set_options(timeout=15_000)
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def page(tab: Page, jobs_service: ServiceProcess, user: TestUser) -> Page:
    """A tab signed in as the operator."""
    await sign_in(tab, jobs_service.url, user)
    return tab


@pytest.fixture
def jobs(publisher: FactPublisher, api: httpx.AsyncClient, tenant: str) -> Jobs:
    return Jobs(publisher, api, tenant)

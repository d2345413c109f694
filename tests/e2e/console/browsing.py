"""Helpers of the console's browser tests: jobs published as upstream facts, and the
row, menu and dialog of a job in the page."""

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import httpx
from playwright.async_api import Locator, Page, expect

from jobline_contracts import facts
from jobline_contracts.envelope import Payload
from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_testing.accounts import TestUser
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.stories import NOW, JobStory

CHROMIUM = "/usr/bin/chromium"  # Debian's package; deploy/local/install-system.sh installs it
# What each step needs published after the job is dispatched.
STEPS = {
    "open_dispatch": (),
    "in_progress": ("started",),
    "awaiting_quality_check": ("started", "work_completed"),
    "awaiting_billing": ("started", "work_completed", "quality_checked"),
    "awaiting_payment": ("started", "work_completed", "quality_checked", "invoiced"),
}
People = list[tuple[str, str | None, str | None]]
DANA: People = [("Dana Whitfield", "+15555550101", "dana@example.com")]


async def sign_in(page: Page, base_url: str, user: TestUser) -> None:
    """Sign in as ``user`` by email and password, and the code if they have TOTP."""
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Email").fill(user.email)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in").click()
    if user.totp_secret is not None:
        await page.get_by_label("Code from your authenticator app").fill(user.code())
        await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Jobs")).to_be_visible()


class Jobs:
    """Publishes jobs as upstream facts and waits until the API shows them."""

    def __init__(self, publisher: FactPublisher, api: httpx.AsyncClient, tenant: str) -> None:
        self.publisher, self.api, self.tenant = publisher, api, tenant

    async def _publish(self, story: JobStory, payload: Payload, key: str) -> None:
        await self.publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), key)

    async def make(
        self,
        step: str = "open_dispatch",
        *,
        people: People = DANA,
        customer: str = "Dana Whitfield",
        start: datetime = NOW - timedelta(days=1),
        technician: str = "Sam Ortiz",
        same_customer_as: JobStory | None = None,
    ) -> JobStory:
        story = JobStory(self.tenant)
        if same_customer_as is not None:  # another job for that customer, at that property
            story.customer_id = same_customer_as.customer_id
            story.property_id = same_customer_as.property_id
        contacts = [
            facts.Contact(contact_id=uuid4(), name=n, phone=p, email=e) for n, p, e in people
        ]
        for payload in (
            facts.CustomerUpserted(customer_id=story.customer_id, name=customer, contacts=contacts),
            story.property(),
            facts.TechnicianUpserted(
                technician_id=story.technician_id, name=technician, commission_rate=Decimal("0.1")
            ),
        ):
            await self._publish(story, payload, story.key)
        await self._publish(story, story.dispatched(start), story.key)
        for fact in STEPS[step]:
            await self._publish(story, getattr(story, fact)(), story.key)
        await self.reaches(story, step)
        return story

    async def reaches(self, story: JobStory, step: str, within: float = 30.0) -> None:
        async def shown() -> bool:
            answer = await self.api.get(f"/v1/jobs/{story.job_id}")
            return answer.status_code == 200 and answer.json()["step"] == step

        await eventually(shown, within=within)


def row(page: Page, story: JobStory) -> Locator:
    return page.locator(f"#job-{story.job_id}")


async def open_action(page: Page, story: JobStory, action: str) -> None:
    """Open the row's Available actions menu and choose ``action`` (a dialog opens)."""
    await row(page, story).get_by_role("button", name="Available actions").click()
    await page.get_by_role("menuitem", name=action, exact=True).click()
    await expect(page.locator("dialog[open]")).to_be_visible()

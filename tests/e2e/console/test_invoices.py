"""Invoices and emails from the console across the running jobs, invoicing and comms
services: attachments picked in the dialog, the invoice found in the SMTP catcher, the
dispatches beside the invoice sends, and the PDF download."""

import asyncio
import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from e2e.console.browsing import Jobs, open_action, row
from playwright.async_api import Page, expect

from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service", "invoicing_service")]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
PEOPLE = [("Dana Whitfield", None, "dana@example.com"), ("Ops desk", None, "ops@example.com")]


def _mail_for(mail_dir: Path, address: str) -> EmailMessage | None:
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if isinstance(message, EmailMessage) and address in str(message["To"]):
            return message
    return None


async def mail_to(mail_dir: Path, address: str) -> EmailMessage:
    """The message the SMTP catcher received for ``address`` (waits for it)."""

    async def arrived() -> bool:
        return _mail_for(mail_dir, address) is not None

    await eventually(arrived, within=30)
    found = _mail_for(mail_dir, address)
    assert found is not None
    return found


async def invoice_number(api: httpx.AsyncClient, job_id: object) -> str:
    number: str = (await api.get(f"/v1/jobs/{job_id}/invoice")).json()["snapshot"]["invoice_number"]
    return number


async def test_an_email_with_picked_attachments_and_the_invoice_reaches_the_catcher(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, sandboxes: Sandboxes
):
    job = await jobs.make("awaiting_billing", people=PEOPLE)
    photo = await api.post(
        f"/v1/jobs/{job.job_id}/documents",
        data={"kind": "finished_photo"},
        files={"file": ("after.jpg", JPEG, "image/jpeg")},
    )
    plan = await api.post(
        f"/v1/properties/{job.property_id}/documents",
        data={"kind": "document"},
        files={"file": ("plan.pdf", b"%PDF-1.4\nplan\n%%EOF", "application/pdf")},
    )
    assert (photo.status_code, plan.status_code) == (201, 201)
    await page.reload()
    # Not issued: nothing to download, and no number yet. Issue it from the console.
    assert (await api.get(f"/v1/jobs/{job.job_id}/invoice")).status_code == 404
    await open_action(page, job, "Issue invoice")
    dialog = page.locator("dialog[open]")
    await dialog.get_by_role("button", name="Issue invoice").click()
    await expect(dialog).to_contain_text(f"issued for {job.number}")
    number = await invoice_number(api, job.job_id)
    await expect(dialog).to_contain_text(f"Invoice {number} issued")
    await dialog.get_by_role("button", name="Done").click()
    assert (await api.get(f"/v1/jobs/{job.job_id}")).json()["step"] == "awaiting_payment"
    await open_action(page, job, "Send email")
    dialog = page.locator("dialog[open]")
    groups = dialog.locator("fieldset.group")
    await expect(groups.locator("legend")).to_have_text(
        ["Progress photos", "Finished photos", "Job documents", "Property documents", "Invoice"]
    )
    await expect(groups.nth(0)).to_contain_text("None.")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Subject").fill("Your finished job")
    await dialog.get_by_label("Message").fill("The photo, the plan and your invoice.")
    await groups.nth(1).get_by_label("after.jpg").check()
    await groups.nth(3).get_by_label("plan.pdf").check()
    # The invoice is offered under the name the customer will receive it by.
    await groups.nth(4).get_by_label(f"{number}.pdf").check()
    await dialog.get_by_role("button", name="Send email").click()
    # Whole rows, so a failure shows the provider's error beside the status.
    await expect(dialog.locator(".deliveries tbody tr")).to_have_text(
        [re.compile(r"dana@example\.com\s*sent")], timeout=60_000
    )
    message = await mail_to(sandboxes.mail_dir, "dana@example.com")
    names = sorted(a.get_filename() for a in message.iter_attachments())
    assert message["Subject"] == "Your finished job"
    assert names == sorted(["after.jpg", "plan.pdf", f"{number}.pdf"])


async def test_resend_the_invoice_then_see_it_beside_the_dispatches_and_download_it(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, sandboxes: Sandboxes
):
    job = await jobs.make("awaiting_payment", people=PEOPLE)
    await page.reload()
    await open_action(page, job, "Resend invoice to customer")
    dialog = page.locator("dialog[open]")
    number = await invoice_number(api, job.job_id)
    await expect(dialog).to_contain_text(f"Invoice {number}, balance due USD 1,209.49")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Ops desk").check()
    await dialog.get_by_role("button", name="Send invoice").click()
    await expect(dialog.locator(".deliveries tbody tr")).to_have_text(
        [re.compile(r"\ssent\s"), re.compile(r"\ssent\s")], timeout=60_000
    )
    for address in ("dana@example.com", "ops@example.com"):
        message = await mail_to(sandboxes.mail_dir, address)
        assert [a.get_filename() for a in message.iter_attachments()] == [f"{number}.pdf"]
    await dialog.get_by_role("button", name="Done").click()
    await expect(page.locator("dialog[open]")).to_have_count(0)

    await open_action(page, job, "View all invoice dispatches")
    dialog = page.locator("dialog[open]")
    visit = dialog.locator("article.visit")
    await expect(visit).to_have_count(1)
    await expect(visit.locator("h4")).to_contain_text("Sam Ortiz")
    await expect(visit.locator(".status-history li").first).to_contain_text("Scheduled")
    send = dialog.locator("article.send")
    await expect(send.locator("h4")).to_contain_text(number)
    await expect(send.locator("tbody tr")).to_have_count(2)
    await expect(send.locator(".status")).to_have_text(["sent", "sent"])
    await dialog.get_by_role("button", name="Close dialog").click()

    await row(page, job).get_by_role("button", name="Available actions").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("menuitem", name="Download invoice").click()
    download = await download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert pdf == (await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")).content

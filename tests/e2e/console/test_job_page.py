"""The job page (issue 18) in Debian's Chromium, by roles and labels only, across the
running jobs, invoicing and comms services: opened from the list by its number, a photo
uploaded on it and shown as a thumbnail, emailed with the invoice through the row's own
email dialog, the email's status in the communications log, the timeline newest first,
and a recall link's chargeback read on both job pages (then unlinked from the page)."""

import re
import struct
import zlib
from decimal import Decimal

import httpx
import pytest
from e2e.console.browsing import Jobs
from e2e.console.test_invoices import mail_to
from playwright.async_api import Page, expect

from jobline_jobs.entrypoints.console.timeline_words import what
from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e
PEOPLE = [("Dana Whitfield", None, "dana@example.com")]


def png(width: int = 3, height: int = 2) -> bytes:
    """A real (decodable) PNG: a thumbnail must load, not only be linked."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.usefixtures("comms_service", "invoicing_service")
async def test_from_the_list_upload_a_photo_email_it_with_the_invoice_and_read_the_log(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, sandboxes: Sandboxes
):
    job = await jobs.make("awaiting_payment", people=PEOPLE)
    await page.reload()
    await page.get_by_role("link", name=job.number, exact=True).click()
    await expect(page.get_by_role("heading", name=f"Job {job.number}", level=1)).to_be_visible()
    documents = page.get_by_role("region", name="Photos and documents")
    await expect(documents).to_contain_text("No photos or documents yet.")

    await documents.get_by_label("Kind").select_option(label="Finished photo")
    await documents.get_by_label("Photo or document").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png()}]
    )
    await documents.get_by_role("button", name="Upload").click()
    await expect(documents.get_by_role("status")).to_have_text("Uploaded after.png.")
    thumbnail = documents.get_by_role("img", name="after.png")
    await expect(thumbnail).to_be_visible()

    async def decoded() -> bool:  # the image itself came through, not a broken icon
        return bool(await thumbnail.evaluate("img => img.complete && img.naturalWidth === 3"))

    await eventually(decoded, within=15)

    # The row menu's own email dialog, opened from the page.
    await page.get_by_role("button", name="Available actions").click()
    await page.get_by_role("menuitem", name="Send email").click()
    dialog = page.get_by_role("dialog", name="Send an email")
    await dialog.get_by_label("Dana Whitfield").check()
    await dialog.get_by_label("Subject").fill("Your finished job")
    await dialog.get_by_label("Message").fill("The photo and your invoice.")
    await dialog.get_by_label("after.png").check()
    number = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["invoice_number"]
    await dialog.get_by_label(f"{number}.pdf").check()  # the name the customer receives
    await dialog.get_by_role("button", name="Send email").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Email on its way")
    await dialog.get_by_role("button", name="Done").click()

    # The log polls itself until no status may change: sent, with a deadline.
    log = page.get_by_role("region", name="Communications")
    await expect(log.get_by_role("heading", name="Email “Your finished job”")).to_be_visible()
    recipients = log.get_by_role("table", name=re.compile("^Recipients of the email"))
    dana = recipients.get_by_role("row", name=re.compile("Dana Whitfield"))
    # The whole row, so a failure shows the problem in plain words beside the status.
    await expect(dana).to_have_text(
        re.compile(r"Dana Whitfield\s*dana@example\.com\s*sent\s*—"), timeout=60_000
    )
    message = await mail_to(sandboxes.mail_dir, "dana@example.com")
    revisions = page.get_by_role("table", name=f"Revisions of {number}, newest first")
    await expect(revisions.get_by_role("rowheader")).to_have_text(["1 (current)"])
    assert sorted(a.get_filename() for a in message.iter_attachments()) == [
        f"{number}.pdf",
        "after.png",
    ]

    # Every fact and action, newest first: the API's timeline, the other way round.
    await page.reload()
    timeline = page.get_by_role("table", name="Every fact and action, newest first")
    entries = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    shown = await timeline.get_by_role("rowheader").all_inner_texts()
    assert shown == [what(e) for e in reversed(entries)]
    # An email carrying the invoice is an invoice send; then the catcher took it.
    assert shown.index("Email sent") < shown.index("Invoice emailed")
    assert shown.index("Invoice emailed") < shown.index("Document added")
    request = next(e for e in entries if e["type"] == "invoice.sent")
    # Who sent it, by name (the API gives the name beside the recorded actor).
    assert request["actor_name"]
    await expect(timeline.get_by_role("row", name=re.compile("Invoice emailed"))).to_contain_text(
        request["actor_name"]
    )


async def test_a_recall_links_chargeback_reads_on_both_job_pages_and_unlinks_from_the_page(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, jobs_service: ServiceProcess
):
    original = await jobs.make("awaiting_billing", customer="Morgan Reyes")
    recall = await jobs.make(customer="Morgan Reyes", technician="Ana Lopez")
    linked = await api.post(
        f"/v1/jobs/{recall.job_id}/recall-link",
        json={"original_job_id": str(original.job_id), "reason": "The same leak came back"},
    )
    assert linked.status_code == 201, linked.text
    charged = f"USD {Decimal(linked.json()['chargeback']['amount']):,.2f}"

    await page.goto(f"{jobs_service.url}/jobs/{recall.job_id}")
    links = page.get_by_role("table", name="Recall links and chargebacks")
    link = links.get_by_role("row", name=re.compile(f"This job is a recall of {original.number}"))
    await expect(link).to_contain_text(charged)
    await expect(link).to_contain_text("Sam Ortiz")
    await expect(link).to_contain_text("In force")

    await link.get_by_role("link", name=original.number).click()
    await expect(page.get_by_role("heading", name=f"Job {original.number}")).to_be_visible()
    back = links.get_by_role("row", name=re.compile(f"{recall.number} is a recall of this job"))
    await expect(back).to_contain_text(charged)
    await expect(back.get_by_role("button", name="Unlink recall")).to_have_count(0)

    await back.get_by_role("link", name=recall.number).click()
    await link.get_by_role("button", name="Unlink recall").click()
    dialog = page.get_by_role("dialog", name="Unlink recall")
    await dialog.get_by_label("Reason").fill("A new fitting failed, not the repair")
    await dialog.get_by_role("button", name="Unlink recall").click()
    await expect(dialog.get_by_role("status")).to_contain_text(
        f"{recall.number} is no longer a recall of {original.number}"
    )
    await dialog.get_by_role("button", name="Done").click()
    # The page reads itself again once the dialog closes.
    await expect(link).to_contain_text("Unlinked")
    await expect(link).to_contain_text("chargeback reversed")

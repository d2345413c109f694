"""A customer's reply in the console (issue 20), through the running jobs and comms
services and the Twilio sandbox: the text's reply with its MMS photo shows in the job's
thread and the inbox (with the unread count in the navigation), and the operator answers
in place with the same text dialog and rules."""

import random
import uuid

import httpx
import pytest
from e2e.console.browsing import Jobs
from playwright.async_api import Page, expect
from twilio.request_validator import RequestValidator

from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service")]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16
AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 - the Twilio sandbox's test token


async def customer_texts(
    comms: ServiceProcess, sandboxes: Sandboxes, phone: str, body: str
) -> None:
    """The customer's reply with a photo, as Twilio posts it to comms, signed."""
    async with httpx.AsyncClient() as client:
        stored = await client.post(
            f"{sandboxes.twilio_url}/sandbox/media",
            content=JPEG,
            headers={"Content-Type": "image/jpeg"},
        )
        url = f"{comms.url}/v1/twilio/inbound"
        form = {
            "From": phone,
            "To": "+15005550000",
            "Body": body,
            "MessageSid": "SM" + uuid.uuid4().hex,
            "NumMedia": "1",
            "MediaUrl0": stored.json()["url"],
            "MediaContentType0": "image/jpeg",
        }
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        answer = await client.post(url, data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200


async def test_a_text_reply_shows_in_the_thread_and_the_inbox_and_is_answered_in_place(
    page: Page,
    jobs: Jobs,
    api: httpx.AsyncClient,
    sandboxes: Sandboxes,
    comms_service: ServiceProcess,
    jobs_service: ServiceProcess,
):
    phone = f"+1555{random.randrange(10**6, 10**7)}"  # noqa: S311 - a test's number
    job = await jobs.make("in_progress", people=[("Dana Whitfield", phone, None)])
    [dana] = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "sms", "recipient_ids": [dana["id"]], "body": "Luis arrives at 9"},
    )
    assert sent.status_code == 202
    communication = f"/v1/communications/{sent.json()['communication_id']}"

    async def texted() -> bool:  # the customer answers a text that reached them
        deliveries = (await api.get(communication)).json()["deliveries"]
        return deliveries[0]["status"] in {"sent", "delivered"}

    await eventually(texted, within=30)
    await customer_texts(comms_service, sandboxes, phone, "The gate code is 4412")

    async def filed() -> bool:
        talk = (await api.get(f"/v1/jobs/{job.job_id}/conversation")).json()
        return [i["kind"] for i in talk["items"]] == ["message", "reply"]

    await eventually(filed, within=30)
    await page.goto(f"{jobs_service.url}/jobs/{job.job_id}")
    await expect(page.get_by_role("link", name="Inbox (1 unread)")).to_be_visible()
    thread = page.get_by_role("region", name="Communications")
    reply = thread.get_by_role("article", name="Reply by text from Dana Whitfield")
    await expect(reply).to_contain_text("The gate code is 4412")
    await expect(reply).to_contain_text("1 file kept in Photos and documents")
    await expect(page.locator("#documents")).to_contain_text("Reply photo 1.jpg")

    await reply.get_by_role("button", name="Answer Dana Whitfield by text").click()
    dialog = page.locator("dialog[open]")
    await expect(dialog.get_by_label("Dana Whitfield")).to_be_checked()
    await dialog.get_by_label("Message").fill("Thanks, see you at 9")
    await expect(dialog.locator("output")).to_have_text("20 of 160 characters")
    await dialog.get_by_role("button", name="Send text").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Text on its way")
    await dialog.press("Escape")

    await page.get_by_role("link", name="Inbox (1 unread)").click()
    await expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="The gate code is 4412")
    await expect(row.get_by_role("link", name=f"Job {job.number}")).to_be_visible()
    await row.get_by_label(f"Mark read: reply from {phone}").check()
    await page.get_by_role("button", name="Mark selected read").click()
    await expect(page.get_by_role("status")).to_have_text("Marked read.")
    await expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    answered = (await api.get(f"/v1/jobs/{job.job_id}/conversation")).json()["items"]
    assert [i["kind"] for i in answered] == ["message", "reply", "message"]
    assert answered[2]["body"] == "Thanks, see you at 9"

"""Customers' replies end to end (issue 20), through the running jobs and comms services:
a text's reply with an MMS photo (fetched from the Twilio sandbox) and an email reply
through Inbound Parse reach the right job's conversation and the inbox, never another
tenant's; forged webhooks are refused and record nothing."""

import json
import random
import uuid
from uuid import uuid4

import asyncpg
import httpx
import pytest
from e2e.test_communications import job_with_contacts, until
from twilio.request_validator import RequestValidator

from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service")]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16
PARSE_TOKEN = "inbound-parse-" + uuid.uuid4().hex
REPLY_DOMAIN = "replies.jobline.test"
AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 - the Twilio sandbox's test token
SHARED_NUMBER = "+15005550000"  # the deployment's default number: tenants share it


async def recipient_ids(api: httpx.AsyncClient, job: JobStory) -> dict[str, str]:
    listed = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
    return {r["name"]: r["id"] for r in listed}


@pytest.fixture
def comms_settings() -> dict[str, str]:
    return {
        "JOBLINE_COMMS_INBOUND_PARSE_TOKEN": PARSE_TOKEN,
        "JOBLINE_COMMS_REPLY_DOMAIN": REPLY_DOMAIN,
    }


def a_phone() -> str:
    return f"+1555{random.randrange(10**6, 10**7)}"  # noqa: S311 - a test's number


async def text_in(
    comms: ServiceProcess, phone: str, body: str, media_url: str | None = None, **extra: str
) -> httpx.Response:
    """The customer's text, as Twilio posts it to comms, signed (or as ``extra`` says)."""
    url = f"{comms.url}/v1/twilio/inbound"
    form = {
        "From": phone,
        "To": SHARED_NUMBER,
        "Body": body,
        "MessageSid": "SM" + uuid4().hex,
        "AccountSid": "ACsandbox00000000000000000000000000",
        "NumMedia": "1" if media_url else "0",
        **({"MediaUrl0": media_url, "MediaContentType0": "image/jpeg"} if media_url else {}),
    }
    signature = extra.pop("signature", None) or RequestValidator(AUTH_TOKEN).compute_signature(
        url, form
    )
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=form, headers={"X-Twilio-Signature": signature})


async def photo_url(sandboxes: Sandboxes) -> str:
    async with httpx.AsyncClient() as client:
        stored = await client.post(
            f"{sandboxes.twilio_url}/sandbox/media",
            content=JPEG,
            headers={"Content-Type": "image/jpeg"},
        )
    return str(stored.json()["url"])


async def test_a_text_reply_with_a_photo_reaches_the_jobs_conversation_and_the_inbox(
    api, publisher, watch, tenant, sandboxes: Sandboxes, comms_service
):
    phone = a_phone()
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", phone, None)])
    dana = (await recipient_ids(api, job))["Dana"]
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "sms", "recipient_ids": [dana], "body": "Luis arrives at 9"},
    )
    sent_id = sent.json()["communication_id"]
    await until(
        api, f"/v1/communications/{sent_id}", lambda c: c["deliveries"][0]["status"] == "delivered"
    )
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    url = await photo_url(sandboxes)
    forged = await text_in(comms_service, phone, "Send money to …", url, signature="forged")
    answer = await text_in(comms_service, phone, "The gate code is 4412", url)
    assert (forged.status_code, answer.status_code) == (403, 200)

    talk = await until(api, f"/v1/jobs/{job.job_id}/conversation", lambda t: len(t["items"]) == 2)
    message, reply = talk["items"]
    assert (message["id"], message["deliveries"][0]["status"]) == (sent_id, "delivered")
    assert (reply["kind"], reply["body"], reply["sender"]) == (
        "reply",
        "The gate code is 4412",
        phone,
    )
    assert reply["in_reply_to"] == sent_id
    [photo] = [
        d
        for d in (await api.get(f"/v1/jobs/{job.job_id}/attachments")).json()["items"]
        if d["filename"] == "Reply photo 1.jpg"
    ]
    stored = await api.get(f"/v1/jobs/{job.job_id}/documents/{photo['id']}")
    assert (stored.status_code, stored.content) == (200, JPEG)
    inbox = (await api.get("/v1/inbox")).json()
    assert inbox["unread"] == 1
    assert [(r["id"], r["job_id"]) for r in inbox["items"]] == [(reply["id"], str(job.job_id))]
    [event] = await lifecycle.wait_for(
        lambda s: (
            s.key == job.key.encode()
            and json.loads(s.value)["type"] == "communication.reply_received"
        )
    )
    payload = json.loads(event.value)["payload"]
    assert (payload["reply_id"], payload["document_ids"]) == (reply["id"], [photo["id"]])
    assert "4412" not in event.value.decode()
    assert phone not in event.value.decode()


async def another_tenant(db: asyncpg.Pool, jobs_service: ServiceProcess) -> httpx.AsyncClient:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, tenant_id, "Other Heating", "America/Denver", "USD")
        token = await issue_token(conn, tenant_id, "operator")
    client = httpx.AsyncClient(
        base_url=jobs_service.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    client.tenant_id = tenant_id  # type: ignore[attr-defined]
    return client


async def emailed(api, publisher, watch, tenant: str, address: str):
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", None, address)])
    dana = (await recipient_ids(api, job))["Dana"]
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={
            "channel": "email",
            "recipient_ids": [dana],
            "subject": "Your invoice",
            "body": "Please find it attached",
        },
    )
    await until(
        api,
        f"/v1/communications/{sent.json()['communication_id']}",
        lambda c: c["deliveries"][0]["status"] == "sent",
    )
    return job


def inbound_parse(tenant: str, sender: str, text: str) -> dict[str, str]:
    to = f"reply+{tenant}@{REPLY_DOMAIN}"
    return {
        "from": f"Dana Whitfield <{sender}>",
        "to": to,
        "subject": "Re: Your invoice",
        "text": text,
        "envelope": json.dumps({"to": [to], "from": sender}),
        "headers": f"Message-ID: <{uuid4().hex}@example.com>\n",
        "attachments": "1",
        "attachment-info": json.dumps({"attachment1": {"filename": "receipt.jpg"}}),
    }


async def test_an_email_reply_through_inbound_parse_reaches_the_right_tenants_job_only(
    api, publisher, watch, tenant, db, jobs_service, comms_service
):
    address = f"dana-{uuid.uuid4().hex[:8]}@example.com"
    mine = await emailed(api, publisher, watch, tenant, address)
    async with await another_tenant(db, jobs_service) as other:
        theirs = await emailed(other, publisher, watch, other.tenant_id, address)
        url = f"{comms_service.url}/v1/inbound/email"
        receipt = {"attachment1": ("receipt.jpg", JPEG, "image/jpeg")}
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                f"{url}/not-the-token",
                data=inbound_parse(tenant, address, "Forged"),
                files=receipt,
            )
            posted = await client.post(
                f"{url}/{PARSE_TOKEN}",
                data=inbound_parse(tenant, address.upper(), "Paid, thank you"),
                files=receipt,
            )
        assert (forged.status_code, posted.status_code) == (403, 200)
        talk = await until(
            api, f"/v1/jobs/{mine.job_id}/conversation", lambda t: len(t["items"]) == 2
        )
        their_talk = (await other.get(f"/v1/jobs/{theirs.job_id}/conversation")).json()
        their_inbox = (await other.get("/v1/inbox")).json()
    reply = talk["items"][1]
    assert (reply["channel"], reply["body"], reply["subject"]) == (
        "email",
        "Paid, thank you",
        "Re: Your invoice",
    )
    assert [f["filename"] for f in reply["files"]] == ["receipt.jpg"]
    assert [i["kind"] for i in their_talk["items"]] == ["message"]
    assert (their_inbox["unread"], their_inbox["items"]) == (0, [])
    inbox = (await api.get("/v1/inbox")).json()
    assert [r["id"] for r in inbox["items"]] == [reply["id"]]  # the forged post left nothing

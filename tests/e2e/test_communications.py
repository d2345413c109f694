"""Texts and emails from a job, through the running jobs and comms services, the real
twilio SDK against the Twilio sandbox and real SMTP into the catcher."""

import asyncio
import email
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from twilio.request_validator import RequestValidator

from jobline_contracts import facts
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.kafka import FactPublisher
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service")]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


async def job_with_contacts(
    publisher: FactPublisher, watch, tenant: str, people: list[tuple[str, str | None, str | None]]
) -> JobStory:
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    contacts = [facts.Contact(contact_id=uuid4(), name=n, phone=p, email=e) for n, p, e in people]
    customer = facts.CustomerUpserted(
        customer_id=story.customer_id, name="Dana Whitfield", contacts=contacts
    )
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(customer), str(story.customer_id))
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.dispatched()), story.key)
    await lifecycle.wait_for(lambda s: s.key == story.key.encode())
    return story


async def until(api: httpx.AsyncClient, path: str, done, within: float = 30.0) -> dict:
    """Poll ``path`` until ``done(answer)``; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        answer = (await api.get(path)).json()
        if done(answer):
            return answer
        assert time.monotonic() < deadline, f"{path} never got there: {answer}"
        await asyncio.sleep(0.2)


def last_mail(mail_dir: Path) -> EmailMessage:
    """The newest message the SMTP catcher stored (file names sort by arrival)."""
    newest = sorted(mail_dir.glob("*.eml"))[-1]
    message = email.message_from_bytes(newest.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def recipient_ids(api: httpx.AsyncClient, job: JobStory) -> dict[str, str]:
    listed = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
    return {r["name"]: r["id"] for r in listed}


async def test_a_text_to_two_recipients_reaches_each_once_and_ends_delivered(
    api, publisher, watch, tenant, sandboxes: Sandboxes
):
    job = await job_with_contacts(
        publisher, watch, tenant, [("Dana", "+15555550111", None), ("Sam", "+15555550112", None)]
    )
    ids = await recipient_ids(api, job)
    body = f"Luis is on his way ({uuid4().hex[:6]})"
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "sms", "recipient_ids": list(ids.values()), "body": body},
    )
    assert sent.status_code == 202, sent.text
    shown = await until(
        api,
        f"/v1/communications/{sent.json()['communication_id']}",
        lambda c: {d["status"] for d in c["deliveries"]} == {"delivered"},
    )
    assert len(shown["deliveries"]) == 2
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    assert sorted(r["to"] for r in received if r["body"] == body) == [
        "+15555550111",
        "+15555550112",
    ]


async def test_a_stop_reply_opts_the_number_out_and_a_later_text_is_refused(
    api, publisher, watch, tenant, comms_service: ServiceProcess
):
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", "+15555550121", None)])
    dana = (await recipient_ids(api, job))["Dana"]
    first = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "sms", "recipient_ids": [dana], "body": "Your visit is tomorrow"},
    )
    await until(
        api,
        f"/v1/communications/{first.json()['communication_id']}",
        lambda c: c["deliveries"][0]["status"] == "delivered",
    )
    url = f"{comms_service.url}/v1/twilio/inbound"
    reply = {
        "From": "+15555550121",
        "To": "+15005550000",
        "Body": "STOP",
        "MessageSid": "SM" + uuid4().hex,
        "AccountSid": "ACsandbox00000000000000000000000000",
    }
    signature = RequestValidator("sandbox-auth-token").compute_signature(url, reply)
    async with httpx.AsyncClient() as client:
        forged = await client.post(url, data=reply, headers={"X-Twilio-Signature": "forged"})
        answer = await client.post(url, data=reply, headers={"X-Twilio-Signature": signature})
    assert (forged.status_code, answer.status_code) == (403, 200)
    await until(api, f"/v1/jobs/{job.job_id}/recipients", lambda r: r["items"][0]["opted_out"])
    later = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "sms", "recipient_ids": [dana], "body": "Are you there?"},
    )
    shown = (await api.get(f"/v1/communications/{later.json()['communication_id']}")).json()
    assert shown["deliveries"][0]["status"] == "opted_out"


async def test_an_email_arrives_with_its_attachments_byte_identical(
    api, publisher, watch, tenant, sandboxes: Sandboxes
):
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", None, "dana@example.com")])
    dana = (await recipient_ids(api, job))["Dana"]
    photo = (
        await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            data={"kind": "finished_photo"},
            files={"file": ("after.jpg", JPEG, "image/jpeg")},
        )
    ).json()
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={
            "channel": "email",
            "recipient_ids": [dana],
            "subject": "Your finished job",
            "body": "See the photo.",
            "attachments": [{"kind": "finished_photo", "id": photo["id"]}],
        },
    )
    assert sent.status_code == 202, sent.text
    await until(
        api,
        f"/v1/communications/{sent.json()['communication_id']}",
        lambda c: c["deliveries"][0]["status"] == "sent",
    )
    message = last_mail(sandboxes.mail_dir)
    (attachment,) = list(message.iter_attachments())
    assert message["Subject"] == "Your finished job"
    assert attachment.get_filename() == "after.jpg"
    assert attachment.get_content() == JPEG
    assert "dana@example.com" in str(message["To"])


async def billable(
    publisher: FactPublisher, watch, tenant: str, people: list[tuple[str, str | None, str | None]]
) -> JobStory:
    """A job with these contacts whose invoice was issued upstream (job.invoiced)."""
    job = await job_with_contacts(publisher, watch, tenant, people)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    facts_ = (job.started(), job.work_completed(), job.quality_checked(), job.invoiced())
    for payload in facts_:
        await publisher.publish(DISPATCH_EVENTS.name, job.envelope(payload), job.key)
    await lifecycle.wait_for(lambda s: s.key == job.key.encode() and b"invoice.issued" in s.value)
    return job


async def invoice_pdf(api: httpx.AsyncClient, job: JobStory, within: float = 60.0) -> bytes:
    deadline = time.monotonic() + within
    while (answer := await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")).status_code == 202:
        assert time.monotonic() < deadline, "the invoice was not rendered in time"
        await asyncio.sleep(0.5)
    assert answer.status_code == 200, answer.text
    return answer.content


@pytest.mark.usefixtures("invoicing_service")
async def test_an_email_carries_a_photo_a_property_document_and_the_invoice_byte_identical(
    api, publisher, watch, tenant, sandboxes: Sandboxes
):
    job = await billable(publisher, watch, tenant, [("Dana", None, "dana@example.com")])
    dana = (await recipient_ids(api, job))["Dana"]
    photo = (
        await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            data={"kind": "finished_photo"},
            files={"file": ("after.jpg", JPEG, "image/jpeg")},
        )
    ).json()
    plan_bytes = b"%PDF-1.4\nfloor plan\n%%EOF"
    plan = (
        await api.post(
            f"/v1/properties/{job.property_id}/documents",
            data={"kind": "document"},
            files={"file": ("plan.pdf", plan_bytes, "application/pdf")},
        )
    ).json()
    invoice = await invoice_pdf(api, job)
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={
            "channel": "email",
            "recipient_ids": [dana],
            "subject": "Your job",
            "body": "Attached.",
            "attachments": [
                {"kind": "finished_photo", "id": photo["id"]},
                {"kind": "document", "id": plan["id"]},
                {"kind": "invoice", "id": str(job.job_id)},
            ],
        },
    )
    assert sent.status_code == 202, sent.text
    await until(
        api,
        f"/v1/communications/{sent.json()['communication_id']}",
        lambda c: c["deliveries"][0]["status"] == "sent",
    )
    attached = {
        a.get_filename(): a.get_content() for a in last_mail(sandboxes.mail_dir).iter_attachments()
    }
    number = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["snapshot"]["invoice_number"]
    assert attached == {"after.jpg": JPEG, "plan.pdf": plan_bytes, f"{number}.pdf": invoice}


@pytest.mark.usefixtures("invoicing_service")
async def test_an_invoice_send_shows_a_bounced_recipient_as_bounced(api, publisher, watch, tenant):
    job = await billable(
        publisher,
        watch,
        tenant,
        [("Dana", None, "dana@example.com"), ("Old address", None, "bounce.old@example.com")],
    )
    ids = await recipient_ids(api, job)
    await invoice_pdf(api, job)
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/invoice/sends", json={"recipient_ids": list(ids.values())}
    )
    assert sent.status_code == 202, sent.text
    sends = await until(
        api,
        f"/v1/jobs/{job.job_id}/invoice/sends",
        lambda s: {d["status"] for d in s["items"][0]["deliveries"]} == {"sent", "bounced"},
    )
    bounced = next(d for d in sends["items"][0]["deliveries"] if d["status"] == "bounced")
    assert bounced["address"] == "bounce.old@example.com"
    assert bounced["error_code"] == "550"

"""The SendGrid sandbox driven by the official SDK, its events checked with the SDK's
EventWebhook helper, as the comms service checks them."""

import asyncio
import base64
import email
from email import policy

import httpx
import pytest
from python_http_client.exceptions import HTTPError
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.mail import Attachment, CustomArg, Header, Mail

from jobline_sandboxes.sendgrid_sandbox import magic
from jobline_sandboxes.sendgrid_sandbox.signing import EventSigner

pytestmark = pytest.mark.integration


def mail_to(address: str) -> Mail:
    mail = Mail(
        from_email="billing@acme.example",
        to_emails=address,
        subject="Invoice 1042",
        plain_text_content="Please find your invoice attached.",
    )
    mail.custom_arg = CustomArg("delivery_id", "d-1")
    mail.header = Header("Message-ID", "<d-1@jobline.local>")
    return mail


async def test_an_accepted_send_is_stored_as_eml_and_its_events_are_signed(sendgrid):
    mail = mail_to("dana@example.com")
    mail.attachment = Attachment(
        base64.b64encode(b"%PDF-1.4 invoice").decode(), "INV-1042.pdf", "application/pdf"
    )
    answer = await sendgrid.send(mail)

    assert answer.status_code == 202
    message_id = answer.headers["X-Message-Id"]
    events = await sendgrid.events(2)
    assert [e["event"] for e, _ in events] == ["processed", "delivered"]
    verifier = EventWebhook(sendgrid.public_key)
    for event, post in events:
        assert event["sg_message_id"].startswith(f"{message_id}.")
        assert event["delivery_id"] == "d-1"  # custom args travel in every event
        assert event["email"] == "dana@example.com"
        assert verifier.verify_signature(post.body, post.signature, post.timestamp)
        assert not verifier.verify_signature(post.body + " ", post.signature, post.timestamp)
    [eml] = sorted((sendgrid.settings.mail_dir).glob("*.eml"))
    stored = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert stored["X-Sandbox-Rcpt-To"] == "dana@example.com"
    assert stored["Message-ID"] == "<d-1@jobline.local>"
    assert stored["X-Message-Id"] == message_id
    [attached] = stored.iter_attachments()
    assert attached.get_content() == b"%PDF-1.4 invoice"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("bounce@example.com", ["processed", "bounce"]),
        ("dropped@example.com", ["dropped"]),
        ("deferred@example.com", ["processed", "deferred", "delivered"]),
        ("opened@example.com", ["processed", "delivered", "open"]),
    ],
)
async def test_magic_addresses_lead_to_their_events(sendgrid, address, expected):
    await sendgrid.send(mail_to(address))
    events = [event for event, _ in await sendgrid.events(len(expected))]
    assert [e["event"] for e in events] == expected
    if "bounce" in expected:
        assert events[-1]["reason"] == magic.BOUNCE_REASON
        assert events[-1]["status"] == "5.1.1"
    if expected == ["dropped"]:
        assert events[0]["reason"] == magic.DROPPED_REASON


async def test_refusals_are_sendgrid_errors_the_sdk_raises(sendgrid):
    with pytest.raises(HTTPError) as unauthorised:
        await sendgrid.send(mail_to("dana@example.com"), api_key="SG.wrong")
    assert unauthorised.value.status_code == 401
    with pytest.raises(HTTPError) as invalid:
        await sendgrid.send(mail_to("invalid@example.com"))
    assert invalid.value.status_code == 400
    assert "valid address" in invalid.value.to_dict["errors"][0]["message"]
    for _ in range(magic.UNAVAILABLE_ATTEMPTS):
        with pytest.raises(HTTPError) as unavailable:
            await sendgrid.send(mail_to("unavailable@example.com"))
        assert unavailable.value.status_code == 503
    assert (await sendgrid.send(mail_to("unavailable@example.com"))).status_code == 202
    assert not list(sendgrid.settings.mail_dir.glob("*.eml"))[1:]  # only the accepted one


def test_the_key_file_is_created_once_and_kept(tmp_path):
    path = tmp_path / "keys" / "sendgrid.pem"
    first = EventSigner.from_file(path).public_key()
    assert EventSigner.from_file(path).public_key() == first
    assert path.stat().st_mode & 0o077 == 0


async def test_an_event_the_receiver_could_not_take_is_posted_again_signed_afresh(sendgrid):
    sendgrid.answers.extend([503])
    answer = await sendgrid.send(mail_to("dropped@example.com"))
    (first, _), (again, post) = await sendgrid.events(2)
    assert first == again  # the same event, the second time taken
    assert EventWebhook(sendgrid.public_key).verify_signature(
        post.body, post.signature, post.timestamp
    )
    record = await first_record_with_events(sendgrid.url)
    assert record["message_id"] == answer.headers["X-Message-Id"]
    assert record["events"] == [
        {"event": first, "answer_status": 204, "error": None, "attempts": 2}
    ]


async def first_record_with_events(url: str) -> dict:
    """The sandbox records an answer once it has read it: polled for, with a deadline."""
    async with httpx.AsyncClient() as client, asyncio.timeout(5.0):
        while True:
            record = (await client.get(f"{url}/sandbox/messages")).json()[0]
            if record["events"]:
                return record
            await asyncio.sleep(0.02)

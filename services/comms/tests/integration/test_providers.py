"""The real twilio SDK and aiosmtplib against the local sandboxes."""

import email
import email.policy
import hashlib
import uuid

import httpx
import pytest

from jobline_comms.adapters.smtp_email import SmtpEmail
from jobline_comms.adapters.twilio_sms import TwilioSms
from jobline_comms.config import PLACEHOLDER_SID, PLACEHOLDER_TOKEN
from jobline_comms.domain.email import File, OutgoingEmail
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Refused, Transient
from jobline_testing.services import free_port

pytestmark = pytest.mark.integration
SENDER = "+15005550000"


@pytest.fixture
async def sms(sandboxes):
    provider = TwilioSms(
        PLACEHOLDER_SID,
        PLACEHOLDER_TOKEN,
        base_url=sandboxes.twilio_url,
        callback_url=f"http://127.0.0.1:{free_port()}/v1/twilio/status",
    )
    yield provider
    await provider.close()


async def creates(sandboxes) -> list[dict]:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()


async def test_an_accepted_sms_has_a_sid_and_carries_its_delivery_in_the_callback(sms, sandboxes):
    delivery_id = uuid.uuid4()
    outcome = await sms.send(delivery_id, "+15555550101", SENDER, "On our way")
    assert isinstance(outcome, Accepted)
    assert outcome.provider_message_id.startswith("SM")
    (created,) = await creates(sandboxes)
    assert created["status_callback"].endswith(f"/v1/twilio/status?delivery_id={delivery_id}")


async def test_an_invalid_number_fails_at_once_with_21211(sms):
    outcome = await sms.send(uuid.uuid4(), "+15005550001", SENDER, "Hi")
    assert isinstance(outcome, Refused)
    assert (outcome.status, outcome.code) == (DeliveryStatus.FAILED, "21211")


async def test_an_opted_out_number_is_refused_with_21610(sms):
    outcome = await sms.send(uuid.uuid4(), "+15005550004", SENDER, "Hi")
    assert (outcome.status, outcome.code) == (DeliveryStatus.OPTED_OUT, "21610")


async def test_the_429_number_is_transient_twice_then_accepted(sms):
    outcomes = [await sms.send(uuid.uuid4(), "+15005550009", SENDER, "Hi") for _ in range(3)]
    assert outcomes[:2] == [Transient("20429", outcomes[0].message)] * 2
    assert isinstance(outcomes[2], Accepted)


async def test_an_unreachable_provider_is_transient():
    provider = TwilioSms(
        PLACEHOLDER_SID,
        PLACEHOLDER_TOKEN,
        base_url=f"http://127.0.0.1:{free_port()}",
        callback_url="http://127.0.0.1:1/v1/twilio/status",
    )
    try:
        outcome = await provider.send(uuid.uuid4(), "+15555550101", SENDER, "Hi")
    finally:
        await provider.close()
    assert isinstance(outcome, Transient)
    assert outcome.code == "connect"


def mail(to: str, files: tuple[File, ...] = ()) -> OutgoingEmail:
    return OutgoingEmail(
        uuid.uuid4(), "Acme <billing@acme.test>", to, "Dana", "Your invoice", "Attached.", files
    )


async def test_an_email_arrives_with_its_attachments_byte_identical(sandboxes):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    photo = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"photo").digest() * 100
    message = mail(
        "dana@example.com",
        (File("INV-1.pdf", "application/pdf", pdf), File("after.jpg", "image/jpeg", photo)),
    )
    outcome = await SmtpEmail("127.0.0.1", sandboxes.smtp_port).send(message)
    assert isinstance(outcome, Accepted)
    (eml,) = sandboxes.mail_dir.glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == f"<{message.delivery_id}@jobline.local>"
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert attached == {"INV-1.pdf": pdf, "after.jpg": photo}


async def test_a_refused_recipient_bounces_with_550(sandboxes):
    outcome = await SmtpEmail("127.0.0.1", sandboxes.smtp_port).send(mail("bounce@example.com"))
    assert isinstance(outcome, Refused)
    assert (outcome.status, outcome.code) == (DeliveryStatus.BOUNCED, "550")


async def test_a_temporary_refusal_is_transient(sandboxes):
    outcome = await SmtpEmail("127.0.0.1", sandboxes.smtp_port).send(mail("tempfail@example.com"))
    assert isinstance(outcome, Transient)
    assert outcome.code == "451"


async def test_an_unreachable_smtp_server_is_transient():
    outcome = await SmtpEmail("127.0.0.1", free_port(), timeout=2).send(mail("a@example.com"))
    assert isinstance(outcome, Transient)


async def test_an_email_that_cannot_be_built_fails_with_its_reason(sandboxes):
    # A line break in a header (a command from before the contract refused them).
    message = OutgoingEmail(
        uuid.uuid4(), "Acme <billing@acme.test>", "a@example.com", None, "Hi\r\nBcc: x@y.z", "x", ()
    )
    outcome = await SmtpEmail("127.0.0.1", sandboxes.smtp_port).send(message)
    assert isinstance(outcome, Refused)
    assert (outcome.status, outcome.code) == (DeliveryStatus.FAILED, "unbuildable")
    assert list(sandboxes.mail_dir.glob("*.eml")) == []


async def test_a_line_that_starts_with_a_dot_arrives_as_written(sandboxes):
    # The message is streamed through DATA, dot-stuffed by Jobline rather than aiosmtplib.
    message = OutgoingEmail(
        uuid.uuid4(), "Acme <billing@acme.test>", "a@example.com", None, "Hi", "one\n.\n.two", ()
    )
    assert isinstance(await SmtpEmail("127.0.0.1", sandboxes.smtp_port).send(message), Accepted)
    (eml,) = sandboxes.mail_dir.glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert parsed.get_content().splitlines() == ["one", ".", ".two"]

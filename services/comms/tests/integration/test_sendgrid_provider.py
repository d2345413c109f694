"""The real sendgrid SDK against the local SendGrid sandbox: what each answer means."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from python_http_client.exceptions import HTTPError

from jobline_comms.adapters.sendgrid_email import SendgridEmail
from jobline_comms.config import PLACEHOLDER_SENDGRID_KEY
from jobline_comms.domain.email import File, OutgoingEmail
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Ambiguous, Refused, Transient
from jobline_testing.services import free_port

pytestmark = pytest.mark.integration
BOUNCE_REASON = "550 5.1.1 The email account that you tried to reach does not exist."


@pytest.fixture
async def sendgrid(sandboxes) -> AsyncIterator[SendgridEmail]:
    provider = SendgridEmail(PLACEHOLDER_SENDGRID_KEY, host=sandboxes.sendgrid_url, timeout=5)
    yield provider
    await provider.close()


def mail(to: str) -> OutgoingEmail:
    pdf = File("INV-1.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)))
    return OutgoingEmail(
        uuid.uuid4(), "Acme <billing@acme.test>", to, "Dana", "Your invoice", "Attached.", (pdf,)
    )


async def test_an_accepted_email_is_sent_with_sendgrids_message_id(sendgrid, sandboxes):
    email = mail("dana@example.com")
    outcome = await sendgrid.send(email)
    assert isinstance(outcome, Accepted)
    (record,) = sandboxes.sendgrid.state.received
    assert outcome.provider_message_id == record.message_id
    assert record.body["custom_args"] == {"delivery_id": str(email.delivery_id)}
    assert (sandboxes.mail_dir / record.eml).exists()


async def test_an_invalid_address_fails_with_sendgrids_reason(sendgrid):
    outcome = await sendgrid.send(mail("invalid@example.com"))
    assert isinstance(outcome, Refused)
    assert (outcome.status, outcome.code) == (DeliveryStatus.FAILED, "400")
    assert "valid address" in outcome.message


async def test_an_outage_is_transient_twice_then_accepted(sendgrid):
    outcomes = [await sendgrid.send(mail("unavailable@example.com")) for _ in range(3)]
    assert [type(o) for o in outcomes] == [Transient, Transient, Accepted]
    assert outcomes[0].code == "503"


async def test_a_wrong_api_key_fails(sandboxes):
    provider = SendgridEmail("SG.wrong", host=sandboxes.sendgrid_url)
    try:
        outcome = await provider.send(mail("dana@example.com"))
    finally:
        await provider.close()
    assert isinstance(outcome, Refused)
    assert outcome.code == "401"


async def test_an_unreachable_sendgrid_is_transient():
    provider = SendgridEmail("SG.x", host=f"http://127.0.0.1:{free_port()}")
    try:
        outcome = await provider.send(mail("dana@example.com"))
    finally:
        await provider.close()
    assert isinstance(outcome, Transient)
    assert outcome.code == "connect"


async def test_no_answer_after_the_request_went_out_is_unknown_never_retried():
    """The request reached a server that never answered: SendGrid may have taken it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        provider = SendgridEmail("SG.x", host=f"http://127.0.0.1:{port}", timeout=0.5)
        try:
            outcome = await provider.send(mail("dana@example.com"))
        finally:
            await provider.close()
    assert isinstance(outcome, Ambiguous)


async def happened(sandboxes, count: int) -> str:
    """The message id once the sandbox's only message has had ``count`` events."""
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        (record,) = sandboxes.sendgrid.state.received
        if len(record.happened) >= count:
            return record.message_id
        assert asyncio.get_running_loop().time() < deadline, record.happened
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("address", "count", "expected"),
    [
        ("delivered@example.com", 2, (DeliveryStatus.DELIVERED, None, None)),
        ("bounce@example.com", 2, (DeliveryStatus.BOUNCED, "5.1.1", BOUNCE_REASON)),
        ("dropped@example.com", 1, (DeliveryStatus.FAILED, "dropped", "Bounced Address")),
    ],
)
async def test_the_email_activity_api_answers_what_the_events_said(
    sendgrid, sandboxes, address, count, expected
):
    """Events held back (no webhook): a status check still learns the outcome."""
    assert isinstance(await sendgrid.send(mail(address)), Accepted)
    answer = await sendgrid.status(await happened(sandboxes, count))
    assert (answer.status, answer.error_code, answer.error_message) == expected


async def test_a_message_sendgrid_does_not_know_raises(sendgrid):
    with pytest.raises(HTTPError):
        await sendgrid.status("no-such-message")

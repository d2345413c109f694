"""The real sendgrid SDK against the local SendGrid sandbox: what each answer means."""

import socket
import uuid
from collections.abc import AsyncIterator

import pytest

from jobline_comms.adapters.sendgrid_email import SendgridEmail
from jobline_comms.config import PLACEHOLDER_SENDGRID_KEY
from jobline_comms.domain.email import File, OutgoingEmail
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Ambiguous, Refused, Transient
from jobline_testing.services import free_port

pytestmark = pytest.mark.integration


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

"""The golden commands decode and translate into domain commands; events go out as the
golden events' types."""

import uuid
from pathlib import Path

import pytest

from jobline_comms.adapters.outbox import key_of, to_wire
from jobline_comms.domain.commands import SendEmail, SendSms
from jobline_comms.domain.events import DeliveryStatusChanged, RecipientOptedOut
from jobline_comms.domain.model import Channel, DeliveryStatus
from jobline_comms.entrypoints.translate import causation_of, to_command
from jobline_contracts import comms as wire
from jobline_contracts.codec import decode
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[4] / "contracts/examples"


def test_the_golden_sms_becomes_a_send_sms():
    envelope = decode(
        COMMS_COMMANDS, (EXAMPLES / "comms.commands.v1/sms.send.v1.json").read_bytes()
    )
    cmd = to_command(envelope)
    assert isinstance(cmd, SendSms)
    assert (cmd.tenant_id, cmd.to) == ("acme", "+15555550101")
    assert causation_of(envelope).message_id == envelope.message_id


def test_the_golden_email_becomes_a_send_email_with_its_attachment():
    raw = (EXAMPLES / "comms.commands.v1/email.send.v1.json").read_bytes()
    cmd = to_command(decode(COMMS_COMMANDS, raw))
    assert isinstance(cmd, SendEmail)
    assert cmd.attachments[0].filename == "INV-2025-0042.pdf"
    assert cmd.to_name == "Dana Whitfield"


def test_events_translate_to_the_contract_messages():
    event = DeliveryStatusChanged(
        uuid.uuid4(), uuid.uuid4(), Channel.SMS, DeliveryStatus.FAILED, "SM1", "21211", "invalid"
    )
    assert to_wire(event).message_type == "delivery.status_changed"
    assert key_of(event) == str(event.delivery_id)
    opted = RecipientOptedOut("+15555550101", "STOP")
    assert COMMS_EVENTS.message(to_wire(opted).message_type) is not None
    assert key_of(opted) == "+15555550101"


def test_a_providers_long_words_are_cut_to_the_contracts_bounds_not_refused():
    event = DeliveryStatusChanged(
        uuid.uuid4(),
        uuid.uuid4(),
        Channel.SMS,
        DeliveryStatus.FAILED,
        provider_message_id="SM" + "1" * 1000,
        error_code="5" * 1000,
        error_message="the carrier said " + "no " * 100_000,
    )

    payload = to_wire(event)

    assert isinstance(payload, wire.DeliveryStatusChanged)
    assert payload.status is wire.DeliveryStatus.FAILED
    assert payload.error_message is not None
    assert payload.error_message.startswith("the carrier said no")
    assert len(payload.error_message) == 2000
    assert len(payload.error_code or "") == 64
    assert len(payload.provider_message_id or "") == 256

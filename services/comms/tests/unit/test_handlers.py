"""The handlers driven with fakes: claim before call, refusals, retries, replies."""

import hashlib
import uuid

import pytest

from jobline_comms.domain.commands import AttachmentRef, SendEmail, SendSms
from jobline_comms.domain.model import State
from jobline_comms.domain.outcomes import Refused, Transient
from jobline_comms.service_layer.handlers import attempt_delivery, check_status, record_reply
from jobline_comms.service_layer.ports import Due, ProviderStatus, StatusCheck

pytestmark = pytest.mark.unit


def sms(tenant: str = "acme", to: str = "+15555550101") -> SendSms:
    return SendSms(uuid.uuid4(), uuid.uuid4(), tenant, to, "On our way")


def due_for(cmd) -> Due:
    return Due(cmd.delivery_id, b"{}", uuid.uuid4())


async def test_an_sms_is_claimed_then_sent_from_the_tenants_number(services):
    cmd = sms()
    assert await attempt_delivery(cmd, due_for(cmd), services) is State.SENT
    assert services.sms.calls == [(cmd.delivery_id, cmd.to, "+15005551111", "On our way")]
    assert services.limiter.turns == ["+15005551111"]
    assert services.ledger.rows[cmd.delivery_id].decision.provider_message_id == "SM1"


async def test_other_tenants_send_from_the_default_number(services):
    cmd = sms(tenant="bolt")
    await attempt_delivery(cmd, due_for(cmd), services)
    assert services.sms.calls[0][2] == "+15005550000"


async def test_an_opted_out_number_is_refused_without_a_provider_call(services):
    cmd = sms()
    services.ledger.opt_outs["acme", cmd.to] = True
    assert await attempt_delivery(cmd, due_for(cmd), services) is State.OPTED_OUT
    assert services.sms.calls == []


async def test_a_lost_claim_never_calls_the_provider(services):
    cmd = sms()
    services.ledger.lose_claims = True
    assert await attempt_delivery(cmd, due_for(cmd), services) is None
    assert services.sms.calls == []


async def test_a_claimed_delivery_is_not_called_again(services):
    cmd = sms()
    await attempt_delivery(cmd, due_for(cmd), services)
    assert await attempt_delivery(cmd, due_for(cmd), services) is None
    assert len(services.sms.calls) == 1


async def test_a_status_check_records_what_a_lost_callback_would_have(services):
    cmd = sms()
    await attempt_delivery(cmd, due_for(cmd), services)
    services.sms.statuses["SM1"] = ProviderStatus(State.FAILED, "30003")

    assert await check_status(StatusCheck(cmd.delivery_id, "SM1"), services) is State.FAILED
    assert services.ledger.rows[cmd.delivery_id].state is State.FAILED
    assert len(services.sms.calls) == 1  # asked about, never sent again


async def test_a_status_check_of_a_message_still_in_flight_changes_nothing(services):
    cmd = sms()
    await attempt_delivery(cmd, due_for(cmd), services)

    assert await check_status(StatusCheck(cmd.delivery_id, "SM1"), services) is None
    assert services.ledger.rows[cmd.delivery_id].state is State.SENT


async def test_twilio_21610_opts_the_number_out_for_the_tenant(services):
    cmd = sms()
    services.sms.outcomes = [Refused(State.OPTED_OUT, "21610", "unsubscribed")]
    assert await attempt_delivery(cmd, due_for(cmd), services) is State.OPTED_OUT
    assert services.ledger.opt_outs["acme", cmd.to] is True


async def test_a_transient_failure_is_scheduled_and_then_exhausts_the_budget(services):
    cmd = sms()
    services.sms.outcomes = [Transient("429", "busy")] * 3
    for expected in (State.QUEUED, State.QUEUED, State.FAILED):
        assert await attempt_delivery(cmd, due_for(cmd), services) is expected
    decision = services.ledger.rows[cmd.delivery_id].decision
    assert decision.dead_letter
    assert len(services.sms.calls) == 3


def email_with(data: bytes, **changes) -> SendEmail:
    ref = AttachmentRef(
        "acme/photos/1.jpg", "1.jpg", "image/jpeg", len(data), hashlib.sha256(data).hexdigest()
    )
    fields = {"blob_key": ref.blob_key, "filename": ref.filename, **changes}
    ref = AttachmentRef(**{**ref.__dict__, **fields})
    return SendEmail(
        uuid.uuid4(), uuid.uuid4(), "acme", "dana@example.com", "Hi", "Body", "Dana", (ref,)
    )


async def test_an_email_carries_its_verified_attachments(services):
    data = b"\xff\xd8jpeg bytes"
    services.blobs.files["acme/photos/1.jpg"] = data
    cmd = email_with(data)
    assert await attempt_delivery(cmd, due_for(cmd), services) is State.SENT
    (sent,) = services.email.sent
    assert sent.attachments[0].data == data
    assert sent.sender == "Jobline <no-reply@jobline.local>"


async def test_an_attachment_that_does_not_match_its_sha256_fails_without_sending(services):
    services.blobs.files["acme/photos/1.jpg"] = b"other bytes!"
    cmd = email_with(b"the bytes!!!")
    assert await attempt_delivery(cmd, due_for(cmd), services) is State.FAILED
    assert services.email.sent == []
    assert services.ledger.rows[cmd.delivery_id].decision.error_code == "attachment_invalid"


async def test_stop_opts_out_every_tenant_texting_from_that_number(services):
    services.ledger.texted.append(("bolt", "+15005551111", "+15555550101"))
    changed = await record_reply("+15555550101", "+15005551111", " stop ", services)
    assert changed == ["acme", "bolt"]
    assert await record_reply("+15555550101", "+15005551111", "STOP", services) == []
    assert await record_reply("+15555550101", "+15005551111", "START", services) == ["acme", "bolt"]


async def test_an_ordinary_reply_changes_nothing(services):
    assert await record_reply("+15555550101", "+15005551111", "see you", services) == []
    assert services.ledger.opt_outs == {}

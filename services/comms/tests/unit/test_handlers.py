"""The handlers driven with fakes: claim before call, refusals, retries, replies,
redelivered commands."""

import dataclasses
import hashlib
import uuid

import pytest

from jobline_comms.domain.commands import AttachmentRef, Causation, SendEmail, SendSms
from jobline_comms.domain.events import DeliveryDeadLettered, DeliveryStatusChanged
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Refused, Transient
from jobline_comms.service_layer.handlers import (
    accept_deliveries,
    attempt_delivery,
    check_status,
    record_reply,
)
from jobline_comms.service_layer.ports import (
    Admission,
    Incoming,
    ProviderStatus,
    Received,
    StatusCheck,
)

pytestmark = pytest.mark.unit


def sms(tenant: str = "acme", to: str = "+15555550101") -> SendSms:
    return SendSms(uuid.uuid4(), uuid.uuid4(), tenant, to, "On our way")


def received(cmd, message_id=None) -> Received:
    causation = Causation(cmd.tenant_id, message_id or uuid.uuid4(), uuid.uuid4())
    return Received(cmd, causation, Incoming(b"{}", b"key", "comms.commands.v1", 0, 1))


def statuses(store, delivery_id) -> list[DeliveryStatus]:
    return [
        e.status
        for e in store.events
        if isinstance(e, DeliveryStatusChanged) and e.delivery_id == delivery_id
    ]


async def test_an_sms_is_claimed_then_sent_from_the_tenants_number(services, store):
    cmd = sms()
    assert await attempt_delivery(store.pick(cmd), services) is DeliveryStatus.SENT
    assert services.sms.calls == [(cmd.delivery_id, cmd.to, "+15005551111", "On our way")]
    assert services.limiter.turns == ["+15005551111"]
    stored = store.deliveries[cmd.delivery_id]
    assert (stored.status, stored.attempts, stored.provider_message_id) == ("sent", 1, "SM1")
    assert statuses(store, cmd.delivery_id) == [DeliveryStatus.SENT]


async def test_other_tenants_send_from_the_default_number(services, store):
    await attempt_delivery(store.pick(sms(tenant="bolt")), services)
    assert services.sms.calls[0][2] == "+15005550000"


async def test_an_opted_out_number_is_refused_without_a_provider_call(services, store):
    cmd = sms()
    store.opt_outs["acme", cmd.to] = True
    assert await attempt_delivery(store.pick(cmd), services) is DeliveryStatus.OPTED_OUT
    assert services.sms.calls == []
    assert statuses(store, cmd.delivery_id) == [DeliveryStatus.OPTED_OUT]


async def test_a_lost_claim_never_calls_the_provider(services, store):
    store.lose_claims = True
    assert await attempt_delivery(store.pick(sms()), services) is None
    assert services.sms.calls == []


async def test_a_delivery_claimed_by_another_pick_is_not_called_again(services, store):
    cmd = sms()
    first, second = store.pick(cmd), store.pick(cmd)  # two picks of one queued delivery
    await attempt_delivery(first, services)
    assert await attempt_delivery(second, services) is None
    assert len(services.sms.calls) == 1


async def test_a_status_check_records_what_a_lost_callback_would_have(services, store):
    cmd = sms()
    await attempt_delivery(store.pick(cmd), services)
    services.sms.statuses["SM1"] = ProviderStatus(DeliveryStatus.FAILED, "30003")

    check = StatusCheck(cmd.delivery_id, "SM1")
    assert await check_status(check, services) is DeliveryStatus.FAILED
    assert store.deliveries[cmd.delivery_id].status is DeliveryStatus.FAILED
    assert store.deliveries[cmd.delivery_id].error_code == "30003"
    assert len(services.sms.calls) == 1  # asked about, never sent again


async def test_a_status_check_of_a_message_still_in_flight_changes_nothing(services, store):
    cmd = sms()
    await attempt_delivery(store.pick(cmd), services)

    assert await check_status(StatusCheck(cmd.delivery_id, "SM1"), services) is None
    assert store.deliveries[cmd.delivery_id].status is DeliveryStatus.SENT


async def test_twilio_21610_opts_the_number_out_for_the_tenant(services, store):
    cmd = sms()
    services.sms.outcomes = [Refused(DeliveryStatus.OPTED_OUT, "21610", "unsubscribed")]
    assert await attempt_delivery(store.pick(cmd), services) is DeliveryStatus.OPTED_OUT
    assert store.opt_outs["acme", cmd.to] is True


async def test_a_transient_failure_is_retried_and_then_exhausts_the_budget(services, store):
    cmd = sms()
    services.sms.outcomes = [Transient("429", "busy")] * 3
    for expected in (DeliveryStatus.QUEUED, DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
        assert await attempt_delivery(store.pick(cmd), services) is expected
    assert store.deliveries[cmd.delivery_id].attempts == 3
    assert (
        DeliveryDeadLettered(cmd.delivery_id, store.deliveries[cmd.delivery_id].error_message)
        in store.events
    )
    assert statuses(store, cmd.delivery_id) == [DeliveryStatus.FAILED]
    assert len(services.sms.calls) == 3


async def test_a_redelivered_command_republishes_and_never_calls(services, store):
    cmd = sms()
    first = received(cmd)
    assert await accept_deliveries([first], services) == [Admission.NEW]
    # Still queued: a command for it again changes nothing.
    assert await accept_deliveries([received(cmd)], services) == [Admission.KNOWN]
    assert statuses(store, cmd.delivery_id) == []
    await attempt_delivery(store.pick(cmd), services)

    again = [received(cmd, first.causation.message_id), received(cmd)]
    assert await accept_deliveries(again, services) == [Admission.DUPLICATE, Admission.KNOWN]
    assert statuses(store, cmd.delivery_id) == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert len(services.sms.calls) == 1


async def test_a_command_naming_another_tenants_delivery_is_foreign_and_changes_nothing(
    services, store
):
    mine = sms()
    await accept_deliveries([received(mine)], services)
    await attempt_delivery(store.pick(mine), services)
    events_before = list(store.events)
    theirs = received(dataclasses.replace(mine, tenant_id="globex", to="+15555550999"))

    assert await accept_deliveries([theirs, received(mine)], services) == [
        Admission.FOREIGN,
        Admission.KNOWN,
    ]
    # Only the tenant's own redelivery republished; the stranger's left no record either,
    # so if it comes again it is refused again.
    assert len(store.events) == len(events_before) + 1
    assert store.deliveries[mine.delivery_id].tenant_id == "acme"
    assert theirs.causation.message_id not in store.messages
    assert await accept_deliveries([theirs], services) == [Admission.FOREIGN]
    assert len(services.sms.calls) == 1


def email_with(data: bytes, **changes) -> SendEmail:
    ref = AttachmentRef(
        "acme/photos/1.jpg", "1.jpg", "image/jpeg", len(data), hashlib.sha256(data).hexdigest()
    )
    fields = {"blob_key": ref.blob_key, "filename": ref.filename, **changes}
    ref = AttachmentRef(**{**ref.__dict__, **fields})
    return SendEmail(
        uuid.uuid4(), uuid.uuid4(), "acme", "dana@example.com", "Hi", "Body", "Dana", (ref,)
    )


async def test_an_email_carries_its_verified_attachments(services, store):
    data = b"\xff\xd8jpeg bytes"
    services.blobs.files["acme/photos/1.jpg"] = data
    assert await attempt_delivery(store.pick(email_with(data)), services) is DeliveryStatus.SENT
    (sent,) = services.email.sent
    assert sent.attachments[0].data == data
    assert sent.sender == "Jobline <no-reply@jobline.local>"


async def test_an_attachment_that_does_not_match_its_sha256_fails_without_sending(services, store):
    services.blobs.files["acme/photos/1.jpg"] = b"other bytes!"
    cmd = email_with(b"the bytes!!!")
    assert await attempt_delivery(store.pick(cmd), services) is DeliveryStatus.FAILED
    assert services.email.sent == []
    assert store.deliveries[cmd.delivery_id].error_code == "attachment_invalid"


async def test_stop_opts_out_every_tenant_texting_from_that_number(services, store):
    store.texted.append(("bolt", "+15005551111", "+15555550101"))
    changed = await record_reply("SM1", "+15555550101", "+15005551111", " stop ", services)
    assert changed == ["acme", "bolt"]
    assert await record_reply("SM2", "+15555550101", "+15005551111", "STOP", services) == []
    started = await record_reply("SM3", "+15555550101", "+15005551111", "START", services)
    assert started == ["acme", "bolt"]
    assert [type(e).__name__ for e in store.events] == ["RecipientOptedOut"] * 2 + [
        "RecipientOptedIn"
    ] * 2


async def test_an_ordinary_reply_changes_nothing(services, store):
    assert await record_reply("SM1", "+15555550101", "+15005551111", "see you", services) == []
    assert store.opt_outs == {}


async def test_a_replayed_start_after_a_stop_leaves_the_phone_opted_out(services, store):
    assert await record_reply("SM1", "+15555550101", "+15005551111", "START", services) == []
    assert await record_reply("SM2", "+15555550101", "+15005551111", "STOP", services) == ["acme"]
    assert await record_reply("SM1", "+15555550101", "+15005551111", "START", services) == []
    assert store.opt_outs[("acme", "+15555550101")] is True

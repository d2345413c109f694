"""Claim before call, against PostgreSQL: one provider call per delivery, whatever is
redelivered; a claim left by a crash becomes ``unknown``, never a resend."""

import asyncio
import json
import uuid

import pytest

from jobline_comms.adapters.attempts import PostgresAttempts
from jobline_comms.adapters.reports import PostgresReports
from jobline_comms.domain.commands import AttachmentRef, Causation, SendEmail, SendSms
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Transient
from jobline_comms.domain.replies import OptChange
from jobline_comms.service_layer.handlers import (
    accept_deliveries,
    attempt_delivery,
    change_opt,
    expire_claims,
    record_provider_status,
    record_reply,
)
from jobline_comms.service_layer.ports import Admission, Incoming, Received
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS

pytestmark = pytest.mark.integration


def new_sms() -> SendSms:
    return SendSms(uuid.uuid4(), uuid.uuid4(), "acme", "+15555550101", "On our way")


def incoming(raw: bytes = b'{"command": 1}') -> Incoming:
    return Incoming(raw, b"key", COMMS_COMMANDS.name, 3, 42)


async def accept(cmd, services, message_id=None):
    causation = Causation(cmd.tenant_id, message_id or uuid.uuid4(), uuid.uuid4())
    (admission,) = await accept_deliveries([Received(cmd, causation, incoming())], services)
    return admission, causation


async def pick(services, delivery_id):
    picked = [
        p for p in await services.attempts.pick_due(100) if p.delivery.delivery_id == delivery_id
    ]
    return picked[0] if picked else None


async def claim(services, delivery_id) -> None:
    picked = await pick(services, delivery_id)
    picked.delivery.claim()
    assert await services.attempts.claim(picked.delivery)


async def statuses(pool, delivery_id) -> list[str]:
    rows = await pool.fetch(
        "SELECT value FROM comms.outbox WHERE topic = $1 AND key = $2 ORDER BY outbox_id",
        COMMS_EVENTS.name,
        str(delivery_id).encode(),
    )
    return [json.loads(r["value"])["payload"]["status"] for r in rows]


async def status_of(pool, delivery_id) -> str:
    return await pool.fetchval(
        "SELECT status FROM comms.deliveries WHERE delivery_id = $1", delivery_id
    )


@pytest.mark.parametrize("channel", ["sms", "email"])
async def test_a_picked_delivery_carries_its_command_as_intake_decoded_it(services, channel):
    ref = AttachmentRef("acme/a.pdf", "a.pdf", "application/pdf", 3, "ab" * 32)
    email = SendEmail(
        uuid.uuid4(), uuid.uuid4(), "acme", "d@example.com", "Hi", "Body", None, (ref,)
    )
    cmd = new_sms() if channel == "sms" else email
    (_, causation) = await accept(cmd, services)
    picked = await pick(services, cmd.delivery_id)
    assert picked.command == cmd
    assert picked.delivery.causation == causation
    assert (picked.delivery.status, picked.delivery.channel) == ("queued", channel)


async def test_a_redelivered_command_never_calls_the_provider_twice(services, comms_pool):
    cmd = new_sms()
    (admission, causation) = await accept(cmd, services)
    assert admission is Admission.NEW
    picked = await pick(services, cmd.delivery_id)
    assert await attempt_delivery(picked, services) is DeliveryStatus.SENT

    # The same message again, and the same delivery in a new message (a republish).
    assert (await accept(cmd, services, causation.message_id))[0] is Admission.DUPLICATE
    assert (await accept(cmd, services))[0] is Admission.KNOWN
    assert await pick(services, cmd.delivery_id) is None
    assert len(services.sms.calls) == 1
    assert await statuses(comms_pool, cmd.delivery_id) == ["sent", "sent"]
    recorded = await comms_pool.fetchval(
        "SELECT count(*) FROM comms.processed_messages"
        " WHERE consumer = 'comms-test' AND delivery_id = $1",
        cmd.delivery_id,
    )
    assert recorded == 2


async def test_two_workers_picking_at_once_get_disjoint_deliveries(services, comms_pool):
    other = PostgresAttempts(comms_pool)
    for _ in range(20):
        await accept(new_sms(), services)
    mine, theirs = await asyncio.gather(services.attempts.pick_due(15), other.pick_due(15))
    assert mine
    assert theirs
    assert not {p.delivery.delivery_id for p in mine} & {p.delivery.delivery_id for p in theirs}


async def test_a_claim_under_a_lost_lease_is_refused(services):
    cmd = new_sms()
    await accept(cmd, services)
    picked = await pick(services, cmd.delivery_id)
    picked.delivery.lease = uuid.uuid4()  # another pick leased it since
    picked.delivery.claim()
    assert not await services.attempts.claim(picked.delivery)


async def test_a_claim_left_by_a_crash_becomes_unknown_and_is_not_resent(services, comms_pool):
    cmd = new_sms()
    await accept(cmd, services)
    await claim(services, cmd.delivery_id)
    # The worker died during the provider call; time passes beyond the claim timeout.
    await comms_pool.execute(
        "UPDATE comms.deliveries SET claimed_at = now() - interval '1 hour' WHERE delivery_id = $1",
        cmd.delivery_id,
    )
    assert (await accept(cmd, services))[0] is Admission.KNOWN
    assert await status_of(comms_pool, cmd.delivery_id) == "unknown"
    assert await statuses(comms_pool, cmd.delivery_id) == ["unknown"]
    assert await pick(services, cmd.delivery_id) is None
    assert services.sms.calls == []


async def test_the_sweeper_turns_stale_claims_unknown(services, comms_pool):
    cmd = new_sms()
    await accept(cmd, services)
    await claim(services, cmd.delivery_id)
    await comms_pool.execute(
        "UPDATE comms.deliveries SET claimed_at = now() - interval '1 hour' WHERE delivery_id = $1",
        cmd.delivery_id,
    )
    assert await expire_claims(services) >= 1
    assert await status_of(comms_pool, cmd.delivery_id) == "unknown"
    assert await statuses(comms_pool, cmd.delivery_id) == ["unknown"]


async def test_a_fresh_claim_is_left_alone_on_redelivery(services, comms_pool):
    cmd = new_sms()
    await accept(cmd, services)
    await claim(services, cmd.delivery_id)
    assert (await accept(cmd, services))[0] is Admission.KNOWN
    assert await status_of(comms_pool, cmd.delivery_id) == "claimed"
    assert await statuses(comms_pool, cmd.delivery_id) == []


async def test_retries_are_scheduled_then_dead_lettered_past_the_budget(services, comms_pool):
    cmd = new_sms()
    services.sms.outcomes = [Transient("503", "down")] * 3
    await accept(cmd, services)
    for attempt in range(3):
        picked = await pick(services, cmd.delivery_id)
        assert picked is not None, f"attempt {attempt + 1} was not due"
        await attempt_delivery(picked, services)
        # Make the scheduled retry due now rather than waiting for the backoff.
        later = await comms_pool.fetchval(
            "SELECT next_attempt_at > now() FROM comms.deliveries WHERE delivery_id = $1",
            cmd.delivery_id,
        )
        assert later or attempt == 2
        await comms_pool.execute(
            "UPDATE comms.deliveries SET next_attempt_at = now() WHERE delivery_id = $1",
            cmd.delivery_id,
        )
    assert await status_of(comms_pool, cmd.delivery_id) == "failed"
    assert await statuses(comms_pool, cmd.delivery_id) == ["failed"]
    dead = await comms_pool.fetchrow(
        "SELECT key, value, headers FROM comms.outbox WHERE topic = $1 AND key = $2",
        COMMS_COMMANDS.dlq,
        b"key",
    )
    assert dead["value"] == b'{"command": 1}'
    headers = json.loads(dead["headers"])
    assert headers["x-dlq-kind"] == "retries_exhausted"
    assert headers["x-dlq-consumer"] == "comms-test"
    assert headers["x-original-offset"] == "42"
    assert "503" in headers["x-dlq-reason"]


async def test_status_reports_move_forward_only(services, comms_pool):
    cmd = new_sms()
    await accept(cmd, services)
    await claim(services, cmd.delivery_id)
    # The callback can beat the create call's answer: found by the delivery id.
    assert await record_provider_status(
        cmd.delivery_id, "SMabc", DeliveryStatus.DELIVERED, None, services
    )
    assert not await record_provider_status(None, "SMabc", DeliveryStatus.SENT, None, services)
    assert await status_of(comms_pool, cmd.delivery_id) == "delivered"
    assert await statuses(comms_pool, cmd.delivery_id) == ["delivered"]


async def test_opt_outs_change_once_and_a_first_start_changes_nothing(services, comms_pool):
    phone = f"+1555{uuid.uuid4().int % 10_000_000:07d}"

    async def change(*, opted_out: bool, keyword: str) -> bool:
        opt = OptChange(opted_out=opted_out, keyword=keyword)
        return await change_opt("acme", phone, opt, services)

    assert not await change(opted_out=False, keyword="START")
    assert await change(opted_out=True, keyword="STOP")
    assert not await change(opted_out=True, keyword="QUIT")
    assert await services.opt_outs.is_opted_out("acme", phone)
    assert not await services.opt_outs.is_opted_out("bolt", phone)
    assert await change(opted_out=False, keyword="START")
    types = await comms_pool.fetch(
        "SELECT value FROM comms.outbox WHERE key = $1 ORDER BY outbox_id", phone.encode()
    )
    assert [json.loads(r["value"])["type"] for r in types] == [
        "recipient.opted_out",
        "recipient.opted_in",
    ]


async def test_a_replayed_start_after_a_stop_leaves_the_phone_opted_out(services, comms_pool):
    phone, ours = f"+1555{uuid.uuid4().int % 10_000_000:07d}", "+15005551111"
    start, stop = f"SM{uuid.uuid4().hex}", f"SM{uuid.uuid4().hex}"
    assert await record_reply(stop, phone, ours, "STOP", services) == ["acme"]
    assert await record_reply(stop, phone, ours, "STOP", services) == []  # Twilio's retry
    assert await record_reply(start, phone, ours, "START", services) == ["acme"]
    assert await record_reply(f"SM{uuid.uuid4().hex}", phone, ours, "STOP", services) == ["acme"]
    assert await record_reply(start, phone, ours, "START", services) == []  # the replay
    assert await services.opt_outs.is_opted_out("acme", phone)
    events = await comms_pool.fetchval(
        "SELECT count(*) FROM comms.outbox WHERE key = $1", phone.encode()
    )
    assert events == 3


async def test_a_text_long_sent_is_due_for_one_status_check_at_a_time(services, comms_pool):
    cmd, sid = new_sms(), f"SM{uuid.uuid4().hex}"
    services.sms.outcomes.append(Accepted(sid))
    await accept(cmd, services)
    await attempt_delivery(await pick(services, cmd.delivery_id), services)

    async def due(reports=services.reports):
        checks = await reports.due_status_checks(after=60, give_up_after=3600)
        return [c for c in checks if c.delivery_id == cmd.delivery_id]

    assert await due() == []  # sent just now: its callbacks may still come
    await comms_pool.execute(
        "UPDATE comms.deliveries SET updated_at = now() - interval '10 minutes'"
        " WHERE delivery_id = $1",
        cmd.delivery_id,
    )
    (check,) = await due()
    assert check.provider_message_id == sid
    # Asked about now: neither this worker nor another asks again before the wait is over.
    assert await due() == []
    assert await due(PostgresReports(comms_pool)) == []

    async def asked(minutes_ago: int, at_age: int) -> None:
        await comms_pool.execute(
            "UPDATE comms.deliveries SET status_checked_at = now() - $2 * interval '1 minute',"
            " updated_at = now() - ($2 + $3) * interval '1 minute' WHERE delivery_id = $1",
            cmd.delivery_id,
            minutes_ago,
            at_age,
        )

    # The waits double: last asked 25 minutes after it was sent, asked again 25 after that.
    await asked(minutes_ago=15, at_age=25)
    assert await due() == []
    await asked(minutes_ago=30, at_age=25)
    assert [c.delivery_id for c in await due()] == [cmd.delivery_id]
    await comms_pool.execute(
        "UPDATE comms.deliveries SET updated_at = now() - interval '2 hours',"
        " status_checked_at = NULL WHERE delivery_id = $1",
        cmd.delivery_id,
    )
    assert await due() == []  # past give_up_after: no longer asked about

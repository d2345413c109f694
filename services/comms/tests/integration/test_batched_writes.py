"""The batched adapters answer as one-by-one calls would: a batch of commands with
repeats, and claims, settlements and reports made at once by many attempts."""

import asyncio
import json
import uuid
from dataclasses import replace

import pytest

from jobline_comms.domain.commands import Causation, SendSms
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted
from jobline_comms.service_layer.handlers import accept_deliveries, record_provider_status
from jobline_comms.service_layer.ports import Admission, Incoming, Received
from jobline_contracts.topics import COMMS_COMMANDS

pytestmark = pytest.mark.integration


def received(cmd: SendSms, message_id: uuid.UUID) -> Received:
    causation = Causation(cmd.tenant_id, message_id, uuid.uuid4())
    return Received(cmd, causation, Incoming(b"{}", b"key", COMMS_COMMANDS.name, 0, 1))


def new_sms() -> SendSms:
    return SendSms(uuid.uuid4(), uuid.uuid4(), "acme", "+15555550101", "On our way")


async def test_a_batch_with_repeats_answers_as_one_by_one(services):
    one, two = new_sms(), new_sms()
    m1, m2, m3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    batch = [
        received(one, m1),
        received(one, m1),  # the same message again
        received(one, m2),  # the same delivery in another message
        received(two, m3),
    ]
    assert await accept_deliveries(batch, services) == [
        Admission.NEW,
        Admission.DUPLICATE,
        Admission.KNOWN,
        Admission.NEW,
    ]
    assert await accept_deliveries(batch[:1], services) == [Admission.DUPLICATE]


async def test_many_attempts_at_once_claim_once_and_settle_once(services, comms_pool):
    cmds = [new_sms() for _ in range(20)]
    await accept_deliveries([received(cmd, uuid.uuid4()) for cmd in cmds], services)
    ids = {cmd.delivery_id for cmd in cmds}
    picked = [p for p in await services.attempts.pick_due(1000) if p.delivery.delivery_id in ids]
    assert len(picked) == 20
    # Every delivery claimed by two copies at once: exactly one claim each wins.
    copies = [replace(p.delivery) for p in picked] + [replace(p.delivery) for p in picked]
    for copy in copies:
        copy.claim()
    claims = await asyncio.gather(*(services.attempts.claim(copy) for copy in copies))
    assert sum(claims) == 20
    winners = [copy for copy, won in zip(copies, claims, strict=True) if won]
    assert sorted(w.delivery_id for w in winners) == sorted(ids)
    # Sids of this test only: they are unique across the session's database.
    sids = {w.delivery_id: f"SM{uuid.uuid4().hex}" for w in winners}
    for w in winners:
        w.settle(Accepted(sids[w.delivery_id]), 3, services.backoff, 0.5)
    settled = await asyncio.gather(
        *(services.changes.save(w) for w in winners),
        *(
            record_provider_status(
                w.delivery_id, sids[w.delivery_id], DeliveryStatus.DELIVERED, None, services
            )
            for w in winners
        ),
    )
    assert all(settled[20:])  # delivered always moves forward, whichever came first
    rows = await comms_pool.fetch(
        "SELECT status, attempts, provider_message_id FROM comms.deliveries"
        " WHERE delivery_id = ANY($1)",
        list(ids),
    )
    assert {r["status"] for r in rows} == {"delivered"}
    assert {r["attempts"] for r in rows} == {1}
    assert {r["provider_message_id"] for r in rows} == set(sids.values())


async def outbox_statuses(pool, delivery_id) -> list[str]:
    rows = await pool.fetch(
        "SELECT value FROM comms.outbox WHERE key = $1 ORDER BY outbox_id",
        str(delivery_id).encode(),
    )
    return [json.loads(r["value"])["payload"]["status"] for r in rows]


@pytest.mark.parametrize("sent_first", [True, False])
async def test_one_delivery_twice_in_a_batch_is_written_one_change_after_the_other(
    services, comms_pool, sent_first
):
    """Two copies of one claimed delivery saved at once (its provider's answer and a
    `delivered` callback): one round each, and a change the first round made stale
    is not written, nor are its events."""
    cmd = new_sms()
    await accept_deliveries([received(cmd, uuid.uuid4())], services)
    (picked,) = [
        p
        for p in await services.attempts.pick_due(1000)
        if p.delivery.delivery_id == cmd.delivery_id
    ]
    picked.delivery.claim()
    assert await services.attempts.claim(picked.delivery)
    sid = f"SM{uuid.uuid4().hex}"
    sent, delivered = replace(picked.delivery, events=[]), replace(picked.delivery, events=[])
    sent.settle(Accepted(sid), 3, services.backoff, 0.5)
    assert delivered.record_status(DeliveryStatus.DELIVERED, sid, None)
    order = [sent, delivered] if sent_first else [delivered, sent]
    answers = await asyncio.gather(*(services.changes.save(copy) for copy in order))
    assert answers == ([True, True] if sent_first else [True, False])
    expected = ["sent", "delivered"] if sent_first else ["delivered"]
    assert await outbox_statuses(comms_pool, cmd.delivery_id) == expected
    status = "SELECT status FROM comms.deliveries WHERE delivery_id = $1"
    assert await comms_pool.fetchval(status, cmd.delivery_id) == "delivered"

"""The batched ledger answers as one-by-one calls would: a batch of commands with repeats,
and claims, settlements and reports made at once by many attempts."""

import asyncio
import uuid

import pytest

from jobline_comms.domain.commands import Causation, SendSms
from jobline_comms.domain.model import State
from jobline_comms.domain.policy import Decision
from jobline_comms.service_layer.ports import Acceptance, Admission, Incoming
from jobline_contracts.topics import COMMS_COMMANDS

pytestmark = pytest.mark.integration


def acceptance(cmd: SendSms, message_id: uuid.UUID) -> Acceptance:
    causation = Causation(cmd.tenant_id, message_id, uuid.uuid4())
    incoming = Incoming(b"{}", b"key", COMMS_COMMANDS.name, 0, 1)
    return Acceptance(cmd, "+15005550000", causation, incoming)


def new_sms() -> SendSms:
    return SendSms(uuid.uuid4(), uuid.uuid4(), "acme", "+15555550101", "On our way")


async def test_a_batch_with_repeats_answers_as_one_by_one(ledger):
    one, two = new_sms(), new_sms()
    m1, m2, m3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    batch = [
        acceptance(one, m1),
        acceptance(one, m1),  # the same message again
        acceptance(one, m2),  # the same delivery in another message
        acceptance(two, m3),
    ]
    assert await ledger.accept_many(batch) == [
        Admission.NEW,
        Admission.DUPLICATE,
        Admission.KNOWN,
        Admission.NEW,
    ]
    assert await ledger.accept_many(batch[:1]) == [Admission.DUPLICATE]


async def test_many_attempts_at_once_claim_once_and_settle_once(ledger, comms_pool):
    cmds = [new_sms() for _ in range(20)]
    await ledger.accept_many([acceptance(cmd, uuid.uuid4()) for cmd in cmds])
    ids = {cmd.delivery_id for cmd in cmds}
    dues = [d for d in await ledger.pick_due(1000) if d.delivery_id in ids]
    assert len(dues) == 20
    # Every due claimed twice at once: exactly one claim each wins.
    claims = await asyncio.gather(*(ledger.claim(due) for due in dues + dues))
    assert sorted(c for c in claims if c is not None) == [1] * 20
    # Sids of this test only: they are unique across the session's database.
    sids = [f"SM{uuid.uuid4().hex}" for _ in range(20)]
    sent = [Decision(State.SENT, provider_message_id=sid) for sid in sids]
    settled = await asyncio.gather(
        *(ledger.settle(due.delivery_id, d) for due, d in zip(dues, sent, strict=True)),
        *(
            ledger.report(due.delivery_id, sid, State.DELIVERED, None)
            for sid, due in zip(sids, dues, strict=True)
        ),
    )
    assert all(settled[20:])  # delivered always moves forward, whichever came first
    states = await comms_pool.fetch(
        "SELECT state, provider_message_id FROM comms.deliveries WHERE delivery_id = ANY($1)",
        list(ids),
    )
    assert {r["state"] for r in states} == {"delivered"}
    assert {r["provider_message_id"] for r in states} == set(sids)

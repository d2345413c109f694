"""The byte budget: bytes held at once never exceed it, first come first served, and an
email larger than the budget still goes, alone."""

import asyncio
import dataclasses
import hashlib
import uuid

import pytest

from jobline_comms.domain.commands import AttachmentRef, SendEmail
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.outcomes import Accepted, Outcome
from jobline_comms.service_layer.byte_budget import ByteBudget
from jobline_comms.service_layer.handlers import Services, attempt_delivery
from jobline_comms.service_layer.ports import EmailProvider

pytestmark = pytest.mark.unit


async def test_holders_wait_while_the_budget_is_spent_and_go_in_order():
    budget, order = ByteBudget(100), []

    async def hold(name: str, size: int, until: asyncio.Event) -> None:
        async with budget.holding(size):
            order.append(name)
            assert budget.held <= budget.capacity
            await until.wait()

    first_done, rest_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(hold("first", 70, first_done))
    await asyncio.sleep(0)
    big = asyncio.create_task(hold("big", 60, rest_done))
    small = asyncio.create_task(hold("small", 10, rest_done))  # fits, but waits its turn
    await asyncio.sleep(0)
    assert order == ["first"]
    first_done.set()
    await first
    await asyncio.sleep(0)
    assert order == ["first", "big", "small"]
    assert budget.held == 70
    rest_done.set()
    await asyncio.gather(big, small)
    assert budget.held == 0


async def test_one_larger_than_the_budget_runs_alone():
    budget = ByteBudget(100)
    async with budget.holding(500):
        assert budget.held == 100
    assert budget.held == 0


async def test_a_cancelled_waiter_gives_way_to_those_behind_it():
    budget = ByteBudget(100)
    large, small = budget.holding(80), budget.holding(40)
    async with budget.holding(50):
        waiting = asyncio.create_task(large.__aenter__())
        await asyncio.sleep(0)
        behind = asyncio.create_task(small.__aenter__())
        await asyncio.sleep(0)
        assert not behind.done()
        waiting.cancel()
        await asyncio.wait_for(behind, timeout=1)  # let in without the cancelled one
        assert budget.held == 90
        await small.__aexit__(None, None, None)
    assert budget.held == 0


class HeldDuringCalls(EmailProvider):
    """Notes the budget's bytes held during each call; calls end when ``release`` is set."""

    def __init__(self, budget: ByteBudget) -> None:
        self.budget, self.held, self.release = budget, list[int](), asyncio.Event()

    async def send(self, email: OutgoingEmail) -> Outcome:
        self.held.append(self.budget.held)
        await self.release.wait()
        return Accepted(None)


def email_of(data: bytes) -> SendEmail:
    ref = AttachmentRef(
        "acme/photos/1.jpg", "1.jpg", "image/jpeg", len(data), hashlib.sha256(data).hexdigest()
    )
    return SendEmail(
        uuid.uuid4(), uuid.uuid4(), "acme", "dana@example.com", "Hi", "Body", None, (ref,)
    )


async def test_an_email_holds_its_attachments_bytes_from_fetch_to_call(services: Services, store):
    data = b"x" * 60
    services.blobs.files["acme/photos/1.jpg"] = data  # type: ignore[attr-defined]
    budget = ByteBudget(100)
    email = HeldDuringCalls(budget)
    services = dataclasses.replace(services, attachment_budget=budget, email=email)
    calls = [
        asyncio.create_task(attempt_delivery(store.pick(email_of(data)), services))
        for _ in range(2)
    ]
    for _ in range(20):
        await asyncio.sleep(0)
    assert email.held == [60]  # the second waits: 60 + 60 is over the budget
    email.release.set()
    await asyncio.gather(*calls)
    assert email.held == [60, 60]
    assert budget.held == 0

"""Steady load: upstream facts for new jobs, customer texts and emails, invoice sends.

What counts as accepted: a fact once Kafka acknowledged its publish (acks=all), a
communication or an invoice send once the API answered 202. Everything else is retried
the way a careful client would (the same envelope; the same Idempotency-Key) and, if it
never gets an answer, counted as unacknowledged rather than accepted.
"""

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from chaos.stack import TENANT, Stack
from jobline_contracts import facts
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_testing.stories import JobStory

log = logging.getLogger("chaos.load")
ANSWER_DEADLINE = 60.0  # how long a client keeps retrying one request


@dataclass
class Accepted:
    """What the system acknowledged: the promises the checks hold it to."""

    facts: dict[UUID, str] = field(default_factory=dict)  # message id → type
    jobs: list[JobStory] = field(default_factory=list)
    communications: dict[UUID, str] = field(default_factory=dict)  # id → channel
    invoice_sends: dict[UUID, UUID] = field(default_factory=dict)  # id → job id
    unacknowledged: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)


class Load:
    def __init__(self, stack: Stack) -> None:
        self.stack, self.accepted = stack, Accepted()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=stack.bootstrap, enable_idempotence=True, acks="all"
        )
        self._ready: list[tuple[JobStory, dict[str, str]]] = []  # jobs with their recipients
        self._phones = iter(range(10**6))

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the load on until ``stop`` is set."""
        await self._producer.start()
        headers = {"Authorization": f"Bearer {self.stack.token}"}
        async with contextlib.AsyncExitStack() as clients:
            # A load balancer's view: each request (a retry too) to the next API process.
            self._apis = itertools.cycle(
                [
                    await clients.enter_async_context(
                        httpx.AsyncClient(base_url=url, headers=headers, timeout=20)
                    )
                    for url in self.stack.api_urls
                ]
            )
            tasks = [
                *(self._loop(stop, self._new_job, 1.2) for _ in range(3)),
                *(self._loop(stop, self._communicate, 0.6) for _ in range(2)),
                self._loop(stop, self._send_invoice, 2.5),
            ]
            try:
                await asyncio.gather(*tasks)
            finally:
                await self._producer.stop()

    @property
    def _api(self) -> httpx.AsyncClient:
        return next(self._apis)

    async def _loop(
        self, stop: asyncio.Event, step: Callable[[], Awaitable[None]], every: float
    ) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await step()
            except Exception:  # the load goes on; the error is reported
                log.exception("load step %s failed", step.__name__)
                self.accepted.retries[f"load error in {step.__name__}"] += 1
            pause = every - (time.monotonic() - started)
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def _publish(self, story: JobStory, payload: Payload, key: str) -> None:
        envelope: Envelope[Any] = story.envelope(payload)
        value, deadline = envelope.to_json(), time.monotonic() + ANSWER_DEADLINE
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(
                    self._producer.send_and_wait(DISPATCH_EVENTS.name, value, key=key.encode()), 15
                )
            except (KafkaError, TimeoutError) as error:
                # The same envelope again: if the first copy did land, the consumer's
                # claim on its message id makes the second a no-op.
                self.accepted.retries["fact publish"] += 1
                log.info("publish failed (%r); retrying", error)
                await asyncio.sleep(0.5)
                continue
            self.accepted.facts[envelope.message_id] = payload.message_type
            return
        self.accepted.unacknowledged["facts"] += 1

    async def _new_job(self) -> None:
        story = JobStory(TENANT)
        n = next(self._phones)
        contacts = [
            facts.Contact(
                contact_id=uuid4(),
                name=f"{who} {n}",
                phone=f"+1555{n % 10**7:07d}" if who == "Dana" else f"+1666{n % 10**7:07d}",
                email=f"{who.lower()}.{n}@example.com",
            )
            for who in ("Dana", "Sam")
        ]
        customer = facts.CustomerUpserted(
            customer_id=story.customer_id, name=f"Customer {n}", contacts=contacts
        )
        await self._publish(story, customer, str(story.customer_id))
        await self._publish(story, story.property(), str(story.property_id))
        await self._publish(story, story.technician(), str(story.technician_id))
        for payload in (
            story.dispatched(),
            story.started(),
            story.work_completed(),
            story.quality_checked(),
            story.invoiced(),  # issued upstream: its invoice can be sent
        ):
            await self._publish(story, payload, story.key)
        self.accepted.jobs.append(story)

    async def _recipients(self) -> tuple[JobStory, dict[str, str]] | None:
        """A job the jobs service already knows, with its two recipients."""
        if self._ready and random.random() < 0.7:  # noqa: S311 - load shape, not crypto
            return random.choice(self._ready)  # noqa: S311
        for story in reversed(self.accepted.jobs[-20:]):
            try:
                answer = await self._api.get(f"/v1/jobs/{story.job_id}/recipients")
            except httpx.HTTPError:
                return None
            items = answer.json().get("items", []) if answer.status_code == 200 else []
            if len(items) == 2:
                found = (story, {r["name"].split()[0]: r["id"] for r in items})
                if found not in self._ready:
                    self._ready.append(found)
                return found
        return None

    async def _communicate(self) -> None:
        found = await self._recipients()
        if found is None:
            return
        story, ids = found
        channel = random.choice(["sms", "email"])  # noqa: S311
        body: dict[str, Any] = {
            "channel": channel,
            "recipient_ids": list(ids.values()),
            "body": f"Your technician is on the way ({uuid4().hex[:8]})",
        }
        if channel == "email":
            body["subject"] = "Your visit"
        answer = await self._post(f"/v1/jobs/{story.job_id}/communications", body, "communications")
        if answer is not None:
            self.accepted.communications[UUID(answer["communication_id"])] = channel

    async def _send_invoice(self) -> None:
        found = await self._recipients()
        if found is None:
            return
        story, ids = found
        try:
            job = await self._api.get(f"/v1/jobs/{story.job_id}")
        except httpx.HTTPError:
            return
        if job.status_code != 200 or job.json().get("step") != "awaiting_payment":
            return  # its job.invoiced is still on its way: no invoice yet
        body = {"recipient_ids": list(ids.values())}
        answer = await self._post(f"/v1/jobs/{story.job_id}/invoice/sends", body, "invoice sends")
        if answer is not None:
            self.accepted.invoice_sends[UUID(answer["communication_id"])] = story.job_id

    async def _post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any] | None:
        """POST until a 202, as a careful client: the same Idempotency-Key across retries
        (a lost answer is replayed, not redone), a new one only after a stored refusal."""
        key, deadline = uuid4().hex, time.monotonic() + ANSWER_DEADLINE
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                answer = await self._api.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.HTTPError as error:
                last = type(error).__name__
                self.accepted.retries[what] += 1
                await asyncio.sleep(0.5)
                continue
            if answer.status_code == 202:
                result: dict[str, Any] = answer.json()
                return result
            code = _error_code(answer)
            last = f"{answer.status_code} {code}"
            if code == "idempotency_key_applied":
                break  # it took effect; its answer (the id to check) died with a jobs process
            # "in progress": the request a kill cut short holds the key until its lease
            # (JOBLINE_JOBS_IDEMPOTENCY_LEASE_SECONDS) runs out; then this retry takes over.
            if answer.status_code == 503 and code == "invoice_rendering":
                key = uuid4().hex  # that answer is stored under the key; nothing was sent
            elif answer.status_code < 500 and code != "idempotency_key_in_progress":
                self.accepted.refused.append(f"{what}: {answer.status_code} {answer.text[:200]}")
                return None
            self.accepted.retries[what] += 1
            await asyncio.sleep(0.5)
        self.accepted.unacknowledged[f"{what} (last answer: {last})"] += 1
        return None


def _error_code(answer: httpx.Response) -> str | None:
    """The code of the API's error shape, if the answer has one (a dying server may not)."""
    try:
        error = answer.json().get("error")
    except ValueError:
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None

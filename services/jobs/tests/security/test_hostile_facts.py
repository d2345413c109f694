"""Hostile facts on ``dispatch.events.v1``: what a stranger with write access to the topic
can make the jobs service do. Each is set aside once, with a bounded reason, while the
service keeps answering and its partition moves on."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e]

FACTS = DISPATCH_EVENTS.name
TWO_MEGABYTES = 2 * 1024 * 1024


def _fact_with_type(tenant: str, message_type: str) -> bytes:
    story = JobStory(tenant)
    envelope = json.loads(story.envelope(story.customer()).to_json())
    return json.dumps({**envelope, "type": message_type}).encode()


async def test_facts_with_a_64_kb_type_are_dead_lettered_while_healthz_answers_within_100_ms(
    jobs_service: ServiceProcess, publisher: FactPublisher, tenant: str, watch
):
    dead = await watch(DISPATCH_EVENTS.dlq)
    hostile = _fact_with_type(tenant, "job." + "x" * 64 * 1024)
    slowest = 0.0
    async with httpx.AsyncClient(base_url=jobs_service.url, timeout=5) as client:
        await client.get("/healthz")  # connected before the clock starts
        for _ in range(3):
            await publisher.publish_raw(FACTS, hostile, key=tenant.encode())

        def ours(seen: Seen) -> bool:
            return seen.value == hostile

        deadline = time.monotonic() + 60
        while len(dead.matching(ours)) < 3:
            assert time.monotonic() < deadline, "the hostile facts were not dead-lettered"
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.01)  # a client polling while it waits, not a fixed wait
    assert slowest <= 0.100, f"/healthz took {slowest * 1000:.0f} ms"
    for letter in dead.matching(ours):
        assert letter.headers["x-dlq-kind"] == "bad_envelope"
        assert len(letter.headers["x-dlq-reason"]) <= 540


@pytest.fixture
async def big_producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer that may send 4 MiB records, to a dispatch topic that takes them (an
    upstream broker configured so: Jobline's dead letters must still fit the default)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        topic = ConfigResource(ConfigResourceType.TOPIC, FACTS, {"max.message.bytes": "4194304"})
        await admin.alter_configs([topic])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=4194304)
    await producer.start()
    yield producer
    await producer.stop()


async def test_a_2_mb_poison_message_is_dead_lettered_once_and_its_partition_moves_on(
    jobs_service: ServiceProcess,
    big_producer: AIOKafkaProducer,
    publisher: FactPublisher,
    db: asyncpg.Pool,
    tenant: str,
    watch,
):
    dead = await watch(DISPATCH_EVENTS.dlq)
    key = f"{tenant}:{uuid4()}".encode()  # the poison and the good fact share a partition
    poison = b'{"type": "' + b"p" * TWO_MEGABYTES + b'"}'
    sent = await big_producer.send_and_wait(FACTS, poison, key=key)
    story = JobStory(tenant)
    await publisher.publish_raw(
        FACTS, story.envelope(story.customer("After Poison")).to_json(), key
    )

    async def customer_applied() -> bool:
        found = await db.fetchval(
            "SELECT name FROM jobs.customers WHERE tenant_id = $1 AND customer_id = $2",
            tenant,
            story.customer_id,
        )
        return found == "After Poison"

    await eventually(customer_applied, within=60)

    def of_poison(seen: Seen) -> bool:
        return seen.headers.get("x-original-offset") == str(sent.offset) and seen.headers.get(
            "x-original-partition"
        ) == str(sent.partition)

    letters = await dead.wait_for(of_poison, count=1, within=30)
    (letter,) = letters
    assert letter.headers["x-original-size"] == str(len(poison))
    assert poison.startswith(letter.value)
    assert len(letter.value) < 1024 * 1024
    assert dead.matching(of_poison) == letters  # once, not redelivered

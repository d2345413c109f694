"""The example consumer against the real Kafka and PostgreSQL: the read model it builds
from Jobline's lifecycle events, a duplicate delivery that changes nothing, a type it does
not know skipped, and bytes that are no event set aside without stopping it."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.databases import fresh_database
from jobline_testing.flows import billable_job
from jobline_testing.infra import Infra
from jobline_testing.polling import eventually
from lifecycle_consumer.app import create_app
from lifecycle_consumer.settings import Settings

EXAMPLES = Path(__file__).parents[3] / "contracts" / "examples" / JOBS_LIFECYCLE.name


def golden() -> list[dict[str, Any]]:
    """Every golden lifecycle example, in the order the story tells them."""
    messages = [json.loads(path.read_text()) for path in sorted(EXAMPLES.glob("*.json"))]
    return sorted(messages, key=lambda m: datetime.fromisoformat(m["occurred_at"]))


def example(message_type: str) -> dict[str, Any]:
    return next(m for m in golden() if m["type"] == message_type)


def encoded(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


@pytest.fixture
async def read_model_url(infra: Infra) -> AsyncIterator[str]:
    """The consumer's database: its own, as another team's would be."""
    async with fresh_database(infra.database_url) as url:
        yield url


@pytest.fixture
async def private_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A topic of the lifecycle's shape that only this test writes to: the poison and
    unknown types below stay off the shared ``jobs.lifecycle.v1``."""
    name = f"lifecycle-kit-{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
    yield name
    await admin.delete_topics([name])
    await admin.close()


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


@asynccontextmanager
async def consumer_running(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """The FastStream app as its README runs it; yields a pool on its database."""
    app = create_app(settings)
    await app.start()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()
        await app.stop()


async def applied(pool: asyncpg.Pool, message_id: object) -> bool:
    return bool(
        await pool.fetchval(
            "SELECT 1 FROM lifecycle_consumer.applied_messages WHERE message_id = $1",
            uuid.UUID(str(message_id)),
        )
    )


async def job_row(pool: asyncpg.Pool, job_id: object) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT * FROM lifecycle_consumer.jobs WHERE job_id = $1", uuid.UUID(str(job_id))
    )
    assert row is not None, f"no read-model row for job {job_id}"
    return row


@pytest.mark.integration
async def test_golden_events_build_the_read_model_once_and_bad_records_are_set_aside(
    kafka_bootstrap: str, read_model_url: str, private_topic: str, producer: AIOKafkaProducer
):
    story = golden()
    job_id = example("job.created")["payload"]["job_id"]
    key = job_id.encode()
    for message in story:
        await producer.send_and_wait(
            private_topic, encoded(message), key=message["payload"]["job_id"].encode()
        )
    # After the story, on the job's partition (so in this order): a second delivery of
    # job.deferred (applied again it would defer the job the story undeferred), a type
    # and a schema_version newer than the installed contracts, bytes that are not JSON, an
    # envelope without its fields, a payload that does not validate, and one more event.
    duplicate = example("job.deferred")
    unknown = {**example("job.status_changed"), "type": "job.teleported"}
    unknown["message_id"] = str(uuid.uuid4())
    newer = {**example("job.created"), "message_id": str(uuid.uuid4()), "schema_version": 9}
    bad_payload = {**example("job.created"), "message_id": str(uuid.uuid4())}
    bad_payload["payload"] = {**bad_payload["payload"], "total": "a lot"}
    last = {**example("job.technician_reassigned"), "message_id": str(uuid.uuid4())}
    last["payload"] = {**last["payload"], "technician_id": str(uuid.uuid4())}
    for value in (
        encoded(duplicate),
        encoded(unknown),
        encoded(newer),
        b"{not json",
        encoded({"type": "job.created", "payload": {}}),
        encoded(bad_payload),
        encoded(last),
    ):
        await producer.send_and_wait(private_topic, value, key=key)

    settings = Settings(kafka_bootstrap, read_model_url, private_topic, f"kit-{uuid.uuid4()}")
    async with consumer_running(settings) as pool:

        async def all_read() -> bool:
            return await applied(pool, last["message_id"]) and all(
                [await applied(pool, m["message_id"]) for m in story]
            )

        await eventually(all_read, within=60)
        job = await job_row(pool, job_id)
        unapplied = await pool.fetch(
            "SELECT outcome, kind, type, reason FROM lifecycle_consumer.unapplied_messages"
            ' WHERE topic = $1 ORDER BY "offset"',
            private_topic,
        )
        applied_count = await pool.fetchval(
            "SELECT count(*) FROM lifecycle_consumer.applied_messages"
        )

    of_job = [m for m in story if m["payload"]["job_id"] == job_id]
    assert applied_count == len(story) + 1  # the duplicate was not applied again
    assert job["events"] == len(of_job) + 1
    assert job["deferred"] is False  # deferred, undeferred, and the re-delivered deferral ignored
    assert job["job_number"] == "J-10042"
    assert job["step"] == "in_progress"
    assert job["total"] == Decimal(example("job.lines_changed")["payload"]["total"])
    assert job["balance_due"] == Decimal(example("job.payment_refunded")["payload"]["balance_due"])
    assert job["scheduled_start"] == datetime.fromisoformat(
        example("job.rescheduled")["payload"]["scheduled_start"]
    )
    assert str(job["technician_id"]) == last["payload"]["technician_id"]
    assert job["last_event_type"] == "job.technician_reassigned"
    assert [(r["outcome"], r["kind"], r["type"]) for r in unapplied] == [
        ("skipped", "unknown_type", "job.teleported"),
        ("skipped", "unsupported_version", "job.created"),
        ("rejected", "not_json", None),
        ("rejected", "bad_envelope", None),
        ("rejected", "bad_payload", None),
    ]
    assert "message_id" in unapplied[3]["reason"]
    assert "total" in unapplied[4]["reason"]


async def start_group_at_end(bootstrap: str, topic: str, group_id: str) -> None:
    """Commit ``group_id``'s offsets at the topic's current end, as
    ``kafka-consumer-groups.sh --reset-offsets --to-latest`` would: the consumer then
    reads exactly what is published from now on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    tps = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert tps, f"{topic} has no partitions"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id)
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.commit(ends)
    finally:
        await consumer.stop()


@pytest.mark.e2e
async def test_a_jobs_flow_reaches_the_read_model_as_the_api_shows_it(
    jobs_service, publisher, watch, tenant, db, kafka_bootstrap: str, read_model_url: str
):
    group = f"lifecycle-kit-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, JOBS_LIFECYCLE.name, group)
    settings = Settings(kafka_bootstrap, read_model_url, JOBS_LIFECYCLE.name, group)
    async with consumer_running(settings) as pool:
        story = await billable_job(publisher, watch, tenant)

        async def awaiting_billing() -> bool:
            step = await pool.fetchval(
                "SELECT step FROM lifecycle_consumer.jobs WHERE job_id = $1", story.job_id
            )
            return step == "awaiting_billing"

        await eventually(awaiting_billing, within=60)
        job = await job_row(pool, story.job_id)
        types = await pool.fetch(
            "SELECT type FROM lifecycle_consumer.applied_messages WHERE job_id = $1",
            story.job_id,
        )

    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    async with httpx.AsyncClient(
        base_url=jobs_service.url, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        response = await api.get(f"/v1/jobs/{story.job_id}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert job["tenant_id"] == tenant
    assert job["job_number"] == detail["number"]
    assert job["step"] == detail["step"]
    assert str(job["technician_id"]) == detail["technician"]["id"]
    assert str(job["customer_id"]) == detail["customer"]["id"]
    assert job["total"] == Decimal(detail["money"]["total"])
    assert job["scheduled_start"] == datetime.fromisoformat(detail["scheduled_start"])
    assert {"job.created", "job.status_changed"} <= {r["type"] for r in types}
    assert job["events"] == len(types)

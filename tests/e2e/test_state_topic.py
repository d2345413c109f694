"""``jobs.state.v1`` alone rebuilds every job: a consumer of another team reads it from the
beginning into an empty database of its own (one table, last write wins per job id) and
has, for every job of a run, exactly what ``GET /v1/jobs/{id}`` returns, field by field
(less the console's ``available_actions``).

The run goes through the published contracts only: facts on ``dispatch.events.v1``
(parties upserted before and after their jobs, lines changed, payments), operator actions
over HTTP (a deferral, a subjob, a recall link), snapshots read off Kafka.
"""

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from jobline_contracts.codec import decode
from jobline_contracts.state import JobState
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_STATE
from jobline_testing.databases import fresh_database
from jobline_testing.infra import Infra
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import NOW, JobStory

pytestmark = pytest.mark.e2e

READ_MODEL = """
CREATE TABLE job_state (
    job_id   uuid PRIMARY KEY,
    snapshot jsonb NOT NULL
)"""


class StateReader:
    """What another team would run: every partition from offset 0, each record upserted
    by its key into its own table; a tombstone (null value) deletes the job. Only its
    tenant's jobs are kept (the local broker is shared)."""

    def __init__(self, bootstrap: str, conn: asyncpg.Connection, tenant: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._conn, self._tenant = conn, tenant

    async def start(self) -> None:
        await self._consumer.start()
        deadline = time.monotonic() + 30
        while not (partitions := self._consumer.partitions_for_topic(JOBS_STATE.name)):
            assert time.monotonic() < deadline, "jobs.state.v1 has no partitions"
            await self._consumer._client.force_metadata_update()  # as TopicWatcher does
        tps = [TopicPartition(JOBS_STATE.name, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)

    async def read_available(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=500, max_records=5000)
        for records in batches.values():
            for record in records:
                await self._apply(record.key, record.value, dict(record.headers))

    async def _apply(
        self, key: bytes | None, value: bytes | None, headers: dict[str, bytes]
    ) -> None:
        assert key is not None
        if value is None:  # a tombstone
            await self._conn.execute("DELETE FROM job_state WHERE job_id = $1", UUID(key.decode()))
            return
        envelope = decode(JOBS_STATE, value)  # the published model, as a consumer would
        if envelope.tenant_id != self._tenant:
            return
        assert isinstance(envelope.payload, JobState)
        assert str(envelope.payload.id) == key.decode()
        assert headers["ce_subject"] == key  # a snapshot is a CloudEvent about its job
        await self._conn.execute(
            """INSERT INTO job_state (job_id, snapshot) VALUES ($1, $2)
               ON CONFLICT (job_id) DO UPDATE SET snapshot = EXCLUDED.snapshot""",
            envelope.payload.id,
            json.dumps(json.loads(value)["payload"]),
        )

    async def stop(self) -> None:
        await self._consumer.stop()


@pytest.fixture
async def read_model(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    """An empty database of the consuming team's own: one table, nothing of Jobline's."""
    async with fresh_database(infra.database_url) as url:
        conn = await asyncpg.connect(url)
        await conn.execute(READ_MODEL)
        yield conn
        await conn.close()


async def publish(publisher: FactPublisher, story: JobStory, *payloads: Any) -> None:
    for payload in payloads:
        key = story.key
        for entity in ("customer_id", "technician_id", "property_id"):
            if payload.message_type == f"{entity[:-3]}.upserted":
                key = str(getattr(payload, entity))
        await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), key)


async def step_of(api: httpx.AsyncClient, job_id: UUID) -> str | None:
    answer = await api.get(f"/v1/jobs/{job_id}")
    return answer.json()["step"] if answer.status_code == 200 else None


async def until_step(api: httpx.AsyncClient, job_id: UUID, *steps: str) -> None:
    async def there() -> bool:
        return await step_of(api, job_id) in steps

    await eventually(there, within=30)


async def run(
    publisher: FactPublisher, api: httpx.AsyncClient, tenant: str
) -> tuple[JobStory, JobStory, JobStory]:
    """Three jobs and a subjob, each changed by facts and by an operator."""
    original, staged, recall = JobStory(tenant), JobStory(tenant), JobStory(tenant)
    # The original's parties arrive before it; the staged job's customer only after.
    await publish(publisher, original, original.customer(), original.property())
    await publish(publisher, original, original.technician())
    await publish(
        publisher,
        original,
        original.dispatched(NOW - timedelta(days=2)),
        original.started(),
        original.lines_changed(("Expansion tank", "120.00")),
        original.work_completed(),
        original.paid("100.00"),
    )
    await publish(publisher, staged, staged.dispatched(NOW - timedelta(days=1)))
    await publish(publisher, recall, recall.dispatched())
    await until_step(api, original.job_id, "awaiting_quality_check")
    await until_step(api, staged.job_id, "open_dispatch")
    await until_step(api, recall.job_id, "open_dispatch")

    for path, body in (
        (f"/v1/jobs/{staged.job_id}/defer", {"reason": "Customer disputes the estimate"}),
        (f"/v1/jobs/{staged.job_id}/subjobs", {"title": "Deposit", "share": {"percent": "20"}}),
        (
            f"/v1/jobs/{recall.job_id}/recall-link",
            {"original_job_id": str(original.job_id), "reason": "Leak came back"},
        ),
    ):
        answer = await api.post(path, json=body)
        assert answer.status_code in {200, 201}, answer.text
    await publish(publisher, staged, staged.paid("50.00"), staged.customer("Robin Park"))
    return original, staged, recall


async def test_the_state_topic_alone_rebuilds_every_job_as_the_api_shows_it(
    jobs_service: ServiceProcess,
    publisher: FactPublisher,
    api: httpx.AsyncClient,
    kafka_bootstrap: str,
    read_model: asyncpg.Connection,
    tenant: str,
) -> None:
    original, staged, recall = await run(publisher, api, tenant)

    reader = StateReader(kafka_bootstrap, read_model, tenant)
    try:
        await reader.start()
        rebuilt, shown = await settled(reader, read_model, api, tenant)
    finally:
        await reader.stop()

    subjob_ids = shown[staged.job_id]["subjob_ids"]
    assert len(subjob_ids) == 1
    assert set(shown) == {original.job_id, staged.job_id, recall.job_id, UUID(subjob_ids[0])}
    for job_id, detail in shown.items():
        snapshot = rebuilt[job_id]
        assert set(snapshot) == set(detail), job_id
        for field, value in detail.items():  # field by field, for a readable failure
            assert snapshot[field] == value, f"{job_id}: {field}"
    # What the run was meant to cover is in it.
    assert shown[original.job_id]["customer"]["name"] == "Dana Whitfield"
    assert shown[original.job_id]["property_address"]["line1"] == "12 Elm Street"
    assert shown[original.job_id]["technician"]["name"] == "Sam Ortiz"
    assert shown[original.job_id]["recalls"] == [str(recall.job_id)]
    assert shown[recall.job_id]["recall_of"] == str(original.job_id)
    assert len(shown[original.job_id]["line_items"]) == 3
    assert shown[original.job_id]["money"]["amount_paid"] == "100.00"
    assert shown[staged.job_id]["customer"]["name"] == "Robin Park"
    assert shown[staged.job_id]["deferral"]["reason"] == "Customer disputes the estimate"
    assert shown[staged.job_id]["staged_billing"] is not None
    assert shown[staged.job_id]["money"]["amount_paid"] == "50.00"


async def settled(
    reader: StateReader, conn: asyncpg.Connection, api: httpx.AsyncClient, tenant: str
) -> tuple[dict[UUID, dict[str, Any]], dict[UUID, dict[str, Any]]]:
    """Read the topic until the read model and the API agree on every job of the tenant
    (the outbox relays asynchronously), or give up after a minute with both."""
    deadline = time.monotonic() + 60
    while True:
        await reader.read_available()
        rows = await conn.fetch("SELECT job_id, snapshot FROM job_state")
        rebuilt = {r["job_id"]: json.loads(r["snapshot"]) for r in rows}
        shown = await api_jobs(api, tenant)
        if rebuilt == shown or time.monotonic() > deadline:
            return rebuilt, shown


async def api_jobs(api: httpx.AsyncClient, tenant: str) -> dict[UUID, dict[str, Any]]:
    """Every job of the tenant as ``GET /v1/jobs/{id}`` shows it, less its actions."""
    listed = await api.get("/v1/jobs", params={"view": "all", "limit": 100})
    assert listed.status_code == 200, listed.text
    shown = {}
    for item in listed.json()["items"]:
        detail = (await api.get(f"/v1/jobs/{item['id']}")).json()
        del detail["available_actions"]
        shown[UUID(detail["id"])] = detail
    assert tenant  # the token is the tenant's: the list is its jobs only
    return shown


async def test_the_state_topic_is_created_compacted(jobs_service: ServiceProcess) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=jobs_service.env["KAFKA_BOOTSTRAP_SERVERS"])
    await admin.start()
    try:
        (answer,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, JOBS_STATE.name)]
        )
    finally:
        await admin.close()
    ((_code, _message, _type, _name, configs),) = answer.resources
    policy = {name: value for name, value, *_ in configs}["cleanup.policy"]
    assert policy == "compact"

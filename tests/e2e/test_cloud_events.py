"""Every lifecycle event is a CloudEvent in the Kafka binding's binary mode: read with the
``cloudevents`` SDK it has the envelope's type (under ``dev.jobline.``), id, the jobs
service as source, the job as subject and the envelope's time. An event an operator's
request caused carries that request's trace in its ``traceparent``, whether the service
exports traces or not."""

import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.services import ServiceProcess, jobs_env
from jobline_testing.stories import JobStory

pytestmark = pytest.mark.e2e


def cloud_event(seen: Seen) -> BaseCloudEvent:
    headers = {k: v.encode() for k, v in seen.headers.items()}
    return from_binary(KafkaMessage(headers, seen.key, seen.value), JSONFormat())


def of_type(message_type: str, story: JobStory):
    def matches(seen: Seen) -> bool:
        return seen.key == story.key.encode() and json.loads(seen.value)["type"] == message_type

    return matches


def assert_is_its_envelope(event: BaseCloudEvent, seen: Seen, story: JobStory) -> None:
    envelope = json.loads(seen.value)
    assert event.get_specversion() == "1.0"
    assert event.get_type() == f"dev.jobline.{envelope['type']}"
    assert event.get_id() == envelope["message_id"]
    assert event.get_source() == "/jobline/jobs"
    assert event.get_subject() == str(story.job_id)
    assert event.get_time() == datetime.fromisoformat(envelope["occurred_at"])
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == envelope


def new_traceparent() -> tuple[str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, f"00-{trace_id}-{span_id}-01"


async def completed_job(publisher: FactPublisher, watch, tenant: str) -> tuple[JobStory, object]:
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    for payload in (story.dispatched(), story.started(), story.work_completed()):
        await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)
    await lifecycle.wait_for(lambda s: s.key == story.key.encode(), count=3)
    return story, lifecycle


async def deferred_with(url: str, token: str, story: JobStory, traceparent: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "traceparent": traceparent}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
        answer = await api.post(f"/v1/jobs/{story.job_id}/defer", json={"reason": "dispute"})
    assert answer.status_code == 200, answer.text


async def test_lifecycle_events_read_as_cloud_events_and_carry_the_request_s_trace(
    jobs_service: ServiceProcess, publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    story, lifecycle = await completed_job(publisher, watch, tenant)
    (created,) = await lifecycle.wait_for(of_type("job.created", story))
    assert_is_its_envelope(cloud_event(created), created, story)  # caused by a fact

    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    trace_id, traceparent = new_traceparent()
    await deferred_with(jobs_service.url, token, story, traceparent)

    (deferred,) = await lifecycle.wait_for(of_type("job.deferred", story))
    event = cloud_event(deferred)
    assert_is_its_envelope(event, deferred, story)
    assert event.get_type() == "dev.jobline.job.deferred"
    # Traced: the relay's publish span, in the request's trace, goes out as the parent.
    _, sent_trace, parent, _ = deferred.headers["traceparent"].split("-")
    assert sent_trace == trace_id
    assert parent != traceparent.split("-")[2]


@pytest.fixture
def untraced_jobs(
    own_database_url: str, kafka_bootstrap: str, service_logs: Path
) -> Iterator[ServiceProcess]:
    """A jobs service on its own database that records no spans (export off)."""
    env = jobs_env(own_database_url, kafka_bootstrap, f"jobs-untraced-{uuid.uuid4().hex[:8]}")
    service = ServiceProcess("jobs", {**env, "JOBLINE_TRACES_EXPORTER": "none"}, service_logs)
    del service.env["JOBLINE_TRACES_FILE"]
    service.start()
    yield service
    service.stop()


async def test_with_tracing_export_off_the_event_carries_the_request_s_traceparent(
    untraced_jobs: ServiceProcess, own_database_url: str, publisher: FactPublisher, watch
):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(own_database_url)
    try:
        await add_tenant(conn, tenant, "Untraced Plumbing", "America/New_York", "USD")
        token = await issue_token(conn, tenant, "operator")
    finally:
        await conn.close()
    story, lifecycle = await completed_job(publisher, watch, tenant)
    _, traceparent = new_traceparent()

    await deferred_with(untraced_jobs.url, token, story, traceparent)

    (deferred,) = await lifecycle.wait_for(of_type("job.deferred", story))
    assert_is_its_envelope(cloud_event(deferred), deferred, story)
    assert deferred.headers["traceparent"] == traceparent  # no span between: the caller's own
    assert not untraced_jobs.traces_path.exists()


async def test_with_tracing_export_off_a_fact_s_traceparent_reaches_its_events(
    untraced_jobs: ServiceProcess, own_database_url: str, kafka_bootstrap: str, watch
):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(own_database_url)
    try:
        await add_tenant(conn, tenant, "Untraced Plumbing", "America/New_York", "USD")
    finally:
        await conn.close()
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    _, traceparent = new_traceparent()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            DISPATCH_EVENTS.name,
            story.envelope(story.dispatched()).to_json(),
            key=story.key.encode(),
            headers=[("traceparent", traceparent.encode())],
        )
    finally:
        await producer.stop()

    (created,) = await lifecycle.wait_for(of_type("job.created", story))
    assert created.headers["traceparent"] == traceparent

"""Observability of the running services: /metrics moving under load, one trace from an
operator's request to the Twilio call, JSON logs with correlation ids and no personal
data, and readiness."""

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobline_contracts import facts
from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.flows import invoiced_job
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = pytest.mark.e2e
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(service: ServiceProcess) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"{service.url}/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


def present(samples: Samples, name: str, **labels: str) -> bool:
    wanted = set(labels.items())
    return any(n == name and wanted <= got for n, got in samples)


async def grows(service: ServiceProcess, before: Samples, name: str, by: float = 1, **labels: str):
    """Poll /metrics until ``name{labels}`` grew by ``by`` since ``before``."""
    start = value(before, name, **labels)

    async def grown() -> bool:
        return value(await scrape(service), name, **labels) >= start + by

    grown.__name__ = f"{name}{labels} grows by {by} on {service.name}"
    await eventually(grown, within=60)


@pytest.fixture
async def comms_service(
    database_url: str, kafka_bootstrap: str, sandboxes: Sandboxes, service_logs: Path, blob_dir
):
    """As the shared fixture, but without the per-sender rate limit: comms.commands.v1 is
    shared, and another run's burst must not hold this test's one text in the queue."""
    service = ServiceProcess(
        "comms",
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-test-{uuid4().hex[:8]}",
            "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
            "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
            "JOBLINE_COMMS_BLOB_URL": blob_dir.as_uri(),
            "JOBLINE_COMMS_RATE_LIMIT_PER_SECOND": "0",
        },
        service_logs,
    )
    service.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = service.url
    await asyncio.to_thread(service.start)
    yield service
    await asyncio.to_thread(service.stop)


async def job_with(publisher: FactPublisher, watch, tenant: str, phone: str, email: str):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    contact = facts.Contact(contact_id=uuid4(), name="Dana", phone=phone, email=email)
    customer = facts.CustomerUpserted(
        customer_id=story.customer_id, name="Dana Whitfield", contacts=[contact]
    )
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(customer), str(story.customer_id))
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.dispatched()), story.key)
    await lifecycle.wait_for(lambda s: s.key == story.key.encode())
    return story


async def send(
    api: httpx.AsyncClient, job: JobStory, channel: str, send_at: str | None = None, **extra
) -> str:
    """Send to the job's one recipient; the communication id. Tests wait on what comms
    itself shows (metrics, spans, logs): the topics are shared with other runs, whose
    bursts may keep the jobs service busy reading their outcomes."""
    listed = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
    body = {"channel": channel, "recipient_ids": [listed[0]["id"]], "body": "On our way"}
    if channel == "email":
        body["subject"] = "Your visit"
    if send_at is not None:
        body["send_at"] = send_at
    sent = await api.post(f"/v1/jobs/{job.job_id}/communications", json=body, **extra)
    assert sent.status_code == 202, sent.text
    return str(sent.json()["communication_id"])


async def test_jobs_is_alive_and_ready(jobs_service: ServiceProcess):
    async with httpx.AsyncClient(base_url=jobs_service.url, timeout=10) as client:
        alive, ready = await client.get("/healthz"), await client.get("/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 200, ready.text
    answer = ready.json()
    assert answer["ready"] is True
    assert set(answer["checks"]) >= {"postgres", "kafka", f"consumer {DISPATCH_EVENTS.name}"}
    assert set(answer["checks"].values()) == {"ok"}


async def test_metrics_of_every_service_move_under_load(
    api, publisher: FactPublisher, watch, tenant: str, jobs_service, comms_service
):
    jobs_before, comms_before = await scrape(jobs_service), await scrape(comms_service)
    for outbox, samples in (("jobs", jobs_before), ("comms", comms_before)):
        assert present(samples, "jobline_outbox_unpublished_rows", outbox=outbox)
        assert present(samples, "jobline_outbox_oldest_unpublished_age_seconds", outbox=outbox)

    # Facts consumed and processed by jobs, per topic, with the handler's latency.
    job = await job_with(publisher, watch, tenant, "+15555550141", "obs.metrics@example.com")
    topic = {"app_name": "jobs", "handler": DISPATCH_EVENTS.name}
    await grows(jobs_service, jobs_before, "jobline_kafka_received_messages_total", 2, **topic)
    after = await scrape(jobs_service)
    for name, labels in (
        ("jobline_kafka_received_processed_messages_total", {"status": "acked"}),
        ("jobline_kafka_received_processed_messages_duration_seconds_count", {}),
    ):
        assert value(after, name, **topic, **labels) >= value(jobs_before, name, **topic, **labels)
        assert value(after, name, **topic, **labels) > 0
    assert value(after, "jobline_outbox_published_total", outbox="jobs") > value(
        jobs_before, "jobline_outbox_published_total", outbox="jobs"
    )

    # A poison fact is dead-lettered and counted by topic and kind.
    await publisher.publish_raw(DISPATCH_EVENTS.name, b"not json", b"poison")
    await grows(jobs_service, jobs_before, "jobline_dead_letters_total", topic=DISPATCH_EVENTS.name)

    # A text: the HTTP route counted by template, the command consumed by comms, the
    # provider call timed, the delivery counted by status.
    await send(api, job, "sms")
    route = "/v1/jobs/{job_id}/communications"
    assert (
        value(await scrape(jobs_service), "jobline_http_requests_total", route=route, status="202")
        >= 1
    )
    comms = {"app_name": "comms", "handler": "comms.commands.v1"}
    await grows(comms_service, comms_before, "jobline_kafka_received_messages_total", **comms)
    await grows(comms_service, comms_before, "jobline_comms_deliveries_total", channel="sms")
    comms_after = await scrape(comms_service)
    assert value(comms_after, "jobline_comms_deliveries_total", channel="sms", status="sent") >= 1
    assert value(comms_after, "jobline_comms_provider_call_seconds_count", provider="twilio") >= 1
    assert value(comms_after, "jobline_outbox_published_total", outbox="comms") >= 1


async def test_invoicing_counts_commands_and_times_renders(
    api, publisher: FactPublisher, watch, tenant: str, invoicing_service
):
    before = await scrape(invoicing_service)
    story = await invoiced_job(publisher, watch, tenant)
    # Asks for the render (its answer is not the point here: on a shared broker another
    # stack's invoicing may answer first, with a PDF in its own blob store).
    await api.get(f"/v1/jobs/{story.job_id}/invoice.pdf")
    commands = {"app_name": "invoicing", "handler": "invoicing.commands.v1"}
    await grows(invoicing_service, before, "jobline_kafka_received_messages_total", **commands)
    await grows(
        invoicing_service, before, "jobline_invoicing_render_seconds_count", outcome="drawn"
    )
    after = await scrape(invoicing_service)
    assert value(after, "jobline_invoicing_render_seconds_sum") > value(
        before, "jobline_invoicing_render_seconds_sum"
    )


async def traced_path(
    trace_id: str, jobs_service: ServiceProcess, comms_service: ServiceProcess
) -> list[tuple[str, str, str]]:
    """(service, span, kind) from the operator's request down to the Twilio call, once
    that whole chain of the trace has been exported."""

    def of_trace(service: ServiceProcess) -> list[dict]:
        return [s for s in service.spans() if s["trace_id"] == trace_id]

    def chain() -> list[dict]:
        """From the Twilio call up through its parents, as far as they were exported."""
        spans = {s["span_id"]: s for s in of_trace(jobs_service) + of_trace(comms_service)}
        found = [s for s in spans.values() if s["name"] == "twilio messages.create"]
        while found and found[-1]["parent_span_id"] in spans:
            found.append(spans[found[-1]["parent_span_id"]])
        return found

    async def traced_to_the_request() -> bool:
        found = chain()
        return bool(found) and found[-1]["kind"] == "SERVER"

    await eventually(traced_to_the_request, within=30)
    return [(s["service"], s["name"], s["kind"]) for s in reversed(chain())]


async def test_one_trace_runs_from_the_operators_request_to_the_twilio_call(
    api, publisher: FactPublisher, watch, tenant: str, jobs_service, comms_service
):
    job = await job_with(publisher, watch, tenant, "+15555550151", "obs.trace@example.com")
    events = await watch(COMMS_EVENTS.name)
    trace_id = os.urandom(16).hex()
    # As a gateway or browser would start it: the jobs service continues this trace.
    await send(api, job, "sms", headers={"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"})

    path = await traced_path(trace_id, jobs_service, comms_service)
    expected = [
        ("jobline-jobs", "POST /v1/jobs/{job_id}/communications", "SERVER"),
        ("jobline-jobs", "comms.commands.v1 publish", "PRODUCER"),
        ("jobline-comms", "comms.commands.v1 receive", "CONSUMER"),
        ("jobline-comms", "comms attempt", "INTERNAL"),
        ("jobline-comms", "twilio messages.create", "CLIENT"),
    ]
    # From the root down, parent to child (FastAPI adds an endpoint span in between).
    assert path[0] == expected[0], path
    assert [step for step in path if step in expected] == expected, path
    # The outcome goes back to jobs in the same trace.
    back = await events.wait_for(lambda s: trace_id in s.headers.get("traceparent", ""))
    assert back


async def test_a_scheduled_text_stays_in_the_trace_of_the_request_that_scheduled_it(
    api, publisher: FactPublisher, watch, tenant: str, jobs_service, comms_service
):
    job = await job_with(publisher, watch, tenant, "+15555550152", "obs.later@example.com")
    trace_id = os.urandom(16).hex()
    send_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    await send(
        api,
        job,
        "sms",
        send_at=send_at,
        headers={"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"},
    )

    path = await traced_path(trace_id, jobs_service, comms_service)
    expected = [
        ("jobline-jobs", "POST /v1/jobs/{job_id}/communications", "SERVER"),
        ("jobline-jobs", "communication released", "INTERNAL"),
        ("jobline-jobs", "comms.commands.v1 publish", "PRODUCER"),
        ("jobline-comms", "twilio messages.create", "CLIENT"),
    ]
    assert path[0] == expected[0], path
    assert [step for step in path if step in expected] == expected, path


async def test_logs_are_json_with_correlation_ids_and_no_personal_data(
    api, publisher: FactPublisher, watch, tenant: str, jobs_service, comms_service
):
    phone, email = "+15555550161", f"obs.{uuid4().hex[:8]}@example.com"
    job = await job_with(publisher, watch, tenant, phone, email)
    text = await send(api, job, "sms")
    mail = await send(api, job, "email")

    async def outcomes_logged() -> bool:
        lines = [json.loads(line) for line in comms_service.log_lines()]
        logged = {e.get("correlation_id") for e in lines if e["event"].startswith("delivery by")}
        return {text, mail} <= logged

    await eventually(outcomes_logged, within=30)
    secrets = [
        phone,
        phone.removeprefix("+"),
        email,
        api.token,
        "sandbox-auth-token",  # the Twilio sandbox's auth token
    ]
    for service in (jobs_service, comms_service):
        for line in service.log_lines():
            event = json.loads(line)  # every line is one JSON object
            assert {"event", "level", "timestamp", "service"} <= set(event), line
            for secret in secrets:
                assert secret not in line, f"{service.name} logged personal data: {line}"
    comms_events = [json.loads(line) for line in comms_service.log_lines()]
    outcomes = {
        e["correlation_id"]: e for e in comms_events if e["event"].startswith("delivery by")
    }
    # Correlated with the communication, and the recipient is masked, not dropped.
    assert "[phone]" in outcomes[text]["event"]
    assert "[email]" in outcomes[mail]["event"]
    assert all(e["level"] in {"info", "warning", "error", "critical"} for e in comms_events)

"""The Kafka clients' TLS and SASL settings against a real broker: the three services, the
test's publisher and watchers and ``jobline-ops`` all reach Kafka only through the local
broker's SASL_SSL listener (SCRAM-SHA-512 over TLS, its own CA), given nothing but the
``JOBLINE_KAFKA_*`` settings. A client that ignored them would speak plaintext to a TLS
port and never connect; one with a wrong password is refused (checked first)."""

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaError

from jobline_contracts.topics import TOPICS
from jobline_infra.kafka_topics import ensure_topics
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.flows import invoiced_job
from jobline_testing.infra import Infra
from jobline_testing.kafka import FactPublisher, TopicWatcher
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.sasl import SaslListener, sasl_listener
from jobline_testing.services import ServiceProcess, jobs_env

# Three service processes start here, on two shared cores: more than the default 120 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
async def listener(infra: Infra) -> SaslListener:
    """The SASL_SSL listener, its topics created through it; a clear failure without it.
    After ``infra``: on a fresh machine that starts the local broker, which writes it."""
    try:
        found = sasl_listener()
    except LookupError as error:
        pytest.fail(str(error))
    try:
        await ensure_topics(
            found.bootstrap, TOPICS, client_id="jobline-tests", security=found.security
        )
    except KafkaError as error:
        pytest.fail(f"the SASL_SSL listener {found.bootstrap} did not let us in: {error!r}")
    return found


def _on(listener: SaslListener, name: str, env: dict[str, str], logs: Path) -> ServiceProcess:
    """``name`` given the listener (and its JOBLINE_KAFKA_* settings) as its only Kafka."""
    return ServiceProcess(
        name, {**env, **listener.env, "KAFKA_BOOTSTRAP_SERVERS": listener.bootstrap}, logs
    )


@pytest.fixture
async def services(
    listener: SaslListener,
    database_url: str,
    sandboxes: Sandboxes,
    service_logs: Path,
    blob_dir: Path,
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """jobs, comms and invoicing as processes on the SASL_SSL listener, started together."""
    run = uuid.uuid4().hex[:8]
    group = jobs_env(database_url, listener.bootstrap, f"jobs-sasl-{run}")
    jobs = _on(
        listener, "jobs", {**group, "JOBLINE_JOBS_BLOB_URL": blob_dir.as_uri()}, service_logs
    )
    comms = _on(
        listener,
        "comms",
        {
            "DATABASE_URL": database_url,
            "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-sasl-{run}",
            "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
            "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
            "JOBLINE_COMMS_BLOB_URL": blob_dir.as_uri(),
        },
        service_logs,
    )
    comms.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = comms.url
    invoicing = _on(
        listener,
        "invoicing",
        {
            "JOBLINE_INVOICING_CONSUMER_GROUP": f"invoicing-sasl-{run}",
            "JOBLINE_INVOICING_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_INVOICING_BLOB_URL": blob_dir.as_uri(),
        },
        service_logs,
    )
    started = {"jobs": jobs, "comms": comms, "invoicing": invoicing}
    try:
        # In threads: the sandboxes serve from this test's event loop meanwhile.
        await asyncio.gather(
            *(asyncio.to_thread(s.start, ready_timeout=120) for s in started.values())
        )
        yield started
    finally:
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in started.values()))


@pytest.fixture
async def sasl_publisher(listener: SaslListener) -> AsyncIterator[FactPublisher]:
    publisher = FactPublisher(listener.bootstrap, listener.security)
    await publisher.start()
    yield publisher
    await publisher.stop()


@pytest.fixture
async def sasl_watch(
    listener: SaslListener,
) -> AsyncIterator[Callable[[str], Awaitable[TopicWatcher]]]:
    watchers: list[TopicWatcher] = []

    async def start(topic: str) -> TopicWatcher:
        watcher = TopicWatcher(listener.bootstrap, topic, listener.security)
        await watcher.start()
        watchers.append(watcher)
        return watcher

    yield start
    for watcher in watchers:
        await watcher.stop()


async def test_a_wrong_password_is_refused(listener: SaslListener):
    env = {k: v for k, v in listener.env.items() if k != "JOBLINE_KAFKA_SASL_PASSWORD_FILE"}
    wrong = SaslListener(listener.bootstrap, {**env, "JOBLINE_KAFKA_SASL_PASSWORD": "not-it"})
    publisher = FactPublisher(listener.bootstrap, wrong.security)
    with pytest.raises(KafkaError):
        await publisher.start()
    await publisher.stop()


async def until(api: httpx.AsyncClient, path: str, done, within: float = 60.0) -> httpx.Response:
    """GET ``path`` until ``done(answer)``; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not done(answer := await api.get(path)):
        assert time.monotonic() < deadline, f"{path} never got there: {answer.text[:500]}"
        await asyncio.sleep(0.3)
    return answer


async def test_a_fact_a_text_and_an_invoice_render_cross_the_sasl_ssl_listener(
    listener: SaslListener,
    services: dict[str, ServiceProcess],
    sasl_publisher: FactPublisher,
    sasl_watch,
    sandboxes: Sandboxes,
    db: asyncpg.Pool,
    tenant: str,
):
    # Facts in and lifecycle events out (jobs' consumers, outbox relay, our clients).
    job = await invoiced_job(sasl_publisher, sasl_watch, tenant)
    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=services["jobs"].url, headers=headers, timeout=30) as api:
        # The render command to invoicing and its rendered event back to jobs.
        pdf = await until(api, f"/v1/jobs/{job.job_id}/invoice.pdf", lambda a: a.status_code != 202)
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF-")

        # The send command to comms, Twilio's callbacks, the delivered event back to jobs.
        recipients = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
        body = f"On our way over TLS ({uuid.uuid4().hex[:6]})"
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [r["id"] for r in recipients], "body": body},
        )
        assert sent.status_code == 202, sent.text
        await until(
            api,
            f"/v1/communications/{sent.json()['communication_id']}",
            lambda a: {d["status"] for d in a.json()["deliveries"]} == {"delivered"},
        )
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    assert [r["to"] for r in received if r["body"] == body] == ["+15555550101"]

    # The operator tool, on the same settings.
    ops_list = ["dlq", "list", "--topic", "dispatch.events.v1", "--limit", "0"]
    ops = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "jobline_ops.cli",
            "--bootstrap-servers",
            listener.bootstrap,
            *ops_list,
        ],
        env={**services["jobs"].env, **listener.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ops.returncode == 0, ops.stderr

"""Fixtures for every test that needs real infrastructure (see tests/jobline_testing)."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from jobline_contracts.topics import TOPICS
from jobline_infra.kafka_topics import ensure_topics
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.tenants import add_tenant
from jobline_testing.brokers import BrokerMode, broker_mode_for
from jobline_testing.databases import fresh_database
from jobline_testing.infra import Infra, provide
from jobline_testing.kafka import FactPublisher, TopicWatcher
from jobline_testing.sandboxes import Sandboxes, running_sandboxes
from jobline_testing.services import ServiceProcess, jobs_env

# Services fail closed (production unless told); tests run on the local stack's defaults.
os.environ.setdefault("JOBLINE_ENV", "development")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide() as found:
        yield found


@pytest.fixture(
    params=[
        pytest.param(False, id="in-memory"),
        pytest.param(True, id="real-broker", marks=pytest.mark.real_broker),
    ]
)
async def broker_mode(request: pytest.FixtureRequest) -> AsyncIterator[BrokerMode]:
    """The test once on FastStream's in-memory broker and once on the real Kafka."""
    bootstrap = request.getfixturevalue("infra").kafka_bootstrap_servers if request.param else None
    async with broker_mode_for(bootstrap) as mode:
        yield mode


@pytest.fixture(scope="session")
async def kafka_bootstrap(infra: Infra) -> str:
    await ensure_topics(infra.kafka_bootstrap_servers, TOPICS, client_id="jobline-tests")
    return infra.kafka_bootstrap_servers


async def _migrated(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(infra: Infra) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session."""
    async with fresh_database(infra.database_url) as url:
        await _migrated(url)
        yield url


@pytest.fixture
async def own_database_url(infra: Infra) -> AsyncIterator[str]:
    """A fresh, migrated database for one test that must not share its outbox."""
    async with fresh_database(infra.database_url) as url:
        await _migrated(url)
        yield url


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    yield pool
    await pool.close()


@pytest.fixture
async def tenant(db: asyncpg.Pool) -> str:
    """A newly provisioned tenant, so tests never share data."""
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, tenant_id, "Test Plumbing", "America/Denver", "USD")
    return tenant_id


@pytest.fixture(scope="session")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[FactPublisher]:
    producer = FactPublisher(kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
async def watch(kafka_bootstrap: str) -> AsyncIterator[object]:
    """``await watch(topic)`` → a TopicWatcher reading from now on; stopped after the test."""
    watchers: list[TopicWatcher] = []

    async def start(topic: str) -> TopicWatcher:
        watcher = TopicWatcher(kafka_bootstrap, topic)
        await watcher.start()
        watchers.append(watcher)
        return watcher

    yield start
    for watcher in watchers:
        await watcher.stop()


@pytest.fixture(scope="session")
def service_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def blob_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The blob store the service processes of a session share (as they do in a stack)."""
    return tmp_path_factory.mktemp("blobs")


@pytest.fixture(scope="session")
def jobs_service(
    database_url: str, kafka_bootstrap: str, service_logs: Path, blob_dir: Path
) -> Iterator[ServiceProcess]:
    """The jobs service as a real process, shared by the tests of a session."""
    env = jobs_env(database_url, kafka_bootstrap, f"jobs-test-{uuid.uuid4().hex[:8]}")
    service = ServiceProcess(
        "jobs", {**env, "JOBLINE_JOBS_BLOB_URL": blob_dir.as_uri()}, service_logs
    )
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def invoicing_service(
    kafka_bootstrap: str, service_logs: Path, blob_dir: Path
) -> Iterator[ServiceProcess]:
    """The invoicing service as a real process, sharing the jobs service's blob store."""
    service = ServiceProcess(
        "invoicing",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "JOBLINE_INVOICING_CONSUMER_GROUP": f"invoicing-test-{uuid.uuid4().hex[:8]}",
            "JOBLINE_INVOICING_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_INVOICING_BLOB_URL": blob_dir.as_uri(),
        },
        service_logs,
    )
    service.start()
    yield service
    service.stop()


@pytest.fixture
async def sandboxes(tmp_path: Path) -> AsyncIterator[Sandboxes]:
    """The Twilio-compatible sandbox and the SMTP catcher, fresh for the test."""
    async with running_sandboxes(tmp_path) as found:
        yield found


@pytest.fixture
def comms_settings() -> dict[str, str]:
    """More settings for the comms service: a test module overrides this (issue 20)."""
    return {}


@pytest.fixture
async def comms_service(  # noqa: PLR0917 - pytest passes fixtures by name
    database_url: str,
    kafka_bootstrap: str,
    sandboxes: Sandboxes,
    service_logs: Path,
    blob_dir: Path,
    comms_settings: dict[str, str],
) -> AsyncIterator[ServiceProcess]:
    """The comms service as a real process, against this test's sandboxes."""
    async with _comms(
        database_url, kafka_bootstrap, sandboxes, service_logs, blob_dir, settings=comms_settings
    ) as found:
        yield found


@pytest.fixture
async def sendgrid_comms_service(
    database_url: str,
    kafka_bootstrap: str,
    sandboxes: Sandboxes,
    service_logs: Path,
    blob_dir: Path,
) -> AsyncIterator[ServiceProcess]:
    """The comms service sending every email through the SendGrid sandbox."""
    async with _comms(
        database_url,
        kafka_bootstrap,
        sandboxes,
        service_logs,
        blob_dir,
        settings={"JOBLINE_COMMS_EMAIL_PROVIDER": "sendgrid"},
    ) as found:
        yield found


@contextlib.asynccontextmanager
async def _comms(
    database_url: str,
    kafka_bootstrap: str,
    sandboxes: Sandboxes,
    service_logs: Path,
    blob_dir: Path,
    *,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[ServiceProcess]:
    service = ServiceProcess(
        "comms",
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-test-{uuid.uuid4().hex[:8]}",
            "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
            "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
            "JOBLINE_COMMS_BLOB_URL": blob_dir.as_uri(),
            "JOBLINE_COMMS_RETRY_BASE_SECONDS": "0.2",
            **(settings or {}),
        },
        service_logs,
    )
    service.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = service.url
    service.env.update(sandboxes.point_sendgrid_events_at(service.url))
    # In a thread: the sandboxes serve from this test's event loop meanwhile.
    await asyncio.to_thread(service.start)
    try:
        yield service
    finally:
        await asyncio.to_thread(service.stop)

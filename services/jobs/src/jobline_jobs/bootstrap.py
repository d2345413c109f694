"""The one place that builds the jobs service's resources and wires them together."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import DefaultSubscriber

from jobline_contracts.topics import (
    COMMS_EVENTS,
    DISPATCH_EVENTS,
    INVOICING_EVENTS,
    TOPICS,
    TopicSpec,
)
from jobline_infra.kafka import idempotent_producer, is_reading
from jobline_infra.kafka_topics import ensure_topics
from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_infra.observability.kafka import broker_logger, broker_middlewares
from jobline_infra.observability.metrics import refresh_outbox
from jobline_infra.outbox_relay import OutboxRelay
from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.commissions import Commissions
from jobline_jobs.adapters.communications import PostgresCommunicationQueries
from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.invoices import PostgresInvoiceQueries
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_queries import JobQueries
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.outbox import NOTIFY_CHANNEL, RELAY_LOCK
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tokens import TokenStore
from jobline_jobs.config import Settings
from jobline_jobs.entrypoints import consumers, http
from jobline_jobs.entrypoints.batch_consumer import BatchMessageConsumer, subscribe_batches
from jobline_jobs.entrypoints.translate import (
    comms_event_to_command,
    fact_to_command,
    invoicing_event_to_command,
)
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.queries import CommunicationQueries, InvoiceQueries
from jobline_jobs.service_layer.schedule import release_due_communications
from jobline_jobs.service_layer.unit_of_work import Causation

log = logging.getLogger(__name__)


@dataclass
class JobsRuntime:
    settings: Settings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    broker: KafkaBroker
    subscribers: dict[str, DefaultSubscriber]
    relay: OutboxRelay | None
    tokens: TokenStore
    queries: JobQueries
    details: JobDetails
    commissions: Commissions
    idempotency: IdempotencyKeys
    bus: MessageBus
    blobs: BlobStore
    invoices: InvoiceQueries
    communications: CommunicationQueries
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def upload_limit(self) -> int:
        return self.settings.max_upload_bytes

    @property
    def invoice_wait(self) -> float:
        return self.settings.invoice_wait_seconds

    async def readiness(self) -> dict[str, str]:
        checks = {"postgres": "ok", "kafka": "ok"}
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            checks["postgres"] = f"unreachable: {error}"
        if not await self.broker.ping(timeout=2.0):
            checks["kafka"] = "unreachable"
        for topic, subscriber in self.subscribers.items():
            ok = await is_reading(subscriber)
            checks[f"consumer {topic}"] = "ok" if ok else "no partitions positioned yet"
        return checks

    async def refresh_metrics(self) -> None:
        """Gauges read when scraped: the outbox backlog (rows and the oldest one's age)."""
        await refresh_outbox(self.pool, "jobs")


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[JobsRuntime]:
    """Start everything the service needs; stop it in reverse order on exit."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.dsn, min_size=2, max_size=settings.db_pool_size
    )
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(pool.close)
        if settings.migrate_on_start:
            async with pool.acquire() as conn:
                await migrate(conn)
        topic = _namespaced(settings.topic_prefix)
        await ensure_topics(
            settings.kafka_bootstrap_servers, map(topic, TOPICS), client_id="jobline-jobs"
        )
        producer = idempotent_producer(settings.kafka_bootstrap_servers, "jobline-jobs")
        await producer.start()
        stack.push_async_callback(producer.stop)

        bus = MessageBus(lambda causation: _uow(pool, causation))
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            client_id="jobline-jobs",
            log_level=logging.DEBUG,
            logger=broker_logger(),
            middlewares=broker_middlewares("jobs"),
        )
        facts = BatchMessageConsumer(
            topic(DISPATCH_EVENTS),
            "jobs.dispatch-facts",
            fact_to_command,
            bus,
            producer,
            actor="upstream",
            batches=lambda: PostgresBatch(pool),
        )
        renders = consumers.MessageConsumer(
            topic(INVOICING_EVENTS),
            "jobs.invoicing-events",
            invoicing_event_to_command,
            bus,
            producer,
            actor="invoicing",
        )
        statuses = consumers.MessageConsumer(
            topic(COMMS_EVENTS),
            "jobs.comms-events",
            comms_event_to_command,
            bus,
            producer,
            actor="comms",
        )
        subscribers = {
            DISPATCH_EVENTS.name: subscribe_batches(broker, facts, settings),
            INVOICING_EVENTS.name: consumers.subscribe(broker, renders, settings, ".invoicing"),
            COMMS_EVENTS.name: consumers.subscribe(broker, statuses, settings, ".comms"),
        }
        runtime = JobsRuntime(
            settings,
            pool,
            producer,
            broker,
            subscribers,
            relay=None,
            tokens=TokenStore(pool),
            queries=JobQueries(pool),
            details=JobDetails(pool),
            commissions=Commissions(pool),
            idempotency=IdempotencyKeys(pool, settings.idempotency_lease_seconds),
            bus=bus,
            blobs=BlobStore(settings.blob_url),
            invoices=PostgresInvoiceQueries(pool),
            communications=PostgresCommunicationQueries(pool),
        )
        if settings.relay_enabled:
            runtime.relay = OutboxRelay(
                settings.dsn,
                producer,
                schema="jobs",
                channel=NOTIFY_CHANNEL,
                lock_id=RELAY_LOCK,
                batch_size=settings.relay_batch_size,
                topic_prefix=settings.topic_prefix,
            )
            task = asyncio.create_task(runtime.relay.run(runtime.stopping), name="outbox-relay")
            stack.push_async_callback(_stop_task, task, runtime.stopping)
        scheduler = asyncio.create_task(_release_scheduled(bus, runtime.stopping), name="scheduler")
        stack.push_async_callback(_stop_task, scheduler, runtime.stopping)
        await broker.start()
        # Registered last so it runs first: stop consuming (finishing the message in
        # hand and committing) before the relay, producer and pool go away.
        stack.push_async_callback(broker.stop)
        log.info("jobs service started")
        # What start-up built (modules, routes, schemas, clients: ~120k objects) lives as
        # long as the process: frozen, the collector's full passes no longer walk it (each
        # such pass stalled every request in flight for ~55 ms), as in the comms service.
        gc.freeze()
        yield runtime


async def _release_scheduled(bus: MessageBus, stop: asyncio.Event) -> None:
    """Hand communications whose send_at has come to the outbox (the schedule is in the
    database, so it survives restarts; SKIP LOCKED lets several replicas share it)."""
    while not stop.is_set():
        try:
            await release_due_communications(bus)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("scheduler: %s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def _namespaced(prefix: str) -> Callable[[TopicSpec], TopicSpec]:
    """Topic specs under ``prefix`` (empty in production): a benchmark's own topics."""
    return lambda spec: replace(spec, name=prefix + spec.name) if prefix else spec


def _uow(pool: asyncpg.Pool, causation: Causation) -> PostgresUnitOfWork:
    return PostgresUnitOfWork(pool, causation)


async def _stop_task(task: "asyncio.Task[None]", stopping: asyncio.Event) -> None:
    stopping.set()
    await asyncio.wait_for(task, timeout=30)


def create_app(settings: Settings) -> FastAPI:
    """The HTTP app, whose lifespan runs the whole service."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = http.build_app(lifespan)
    app.add_middleware(ObservabilityMiddleware)  # request ids, HTTP metrics, /metrics
    return app

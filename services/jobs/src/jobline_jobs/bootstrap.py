"""The one place that builds the jobs service's resources and wires them together."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import DefaultSubscriber

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.commissions import Commissions
from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_queries import JobQueries
from jobline_jobs.adapters.kafka_topics import ensure_topics
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.outbox_relay import OutboxRelay
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tokens import TokenStore
from jobline_jobs.config import Settings
from jobline_jobs.entrypoints import dispatch_consumer, http
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation

log = logging.getLogger(__name__)


@dataclass
class JobsRuntime:
    settings: Settings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    broker: KafkaBroker
    fact_subscriber: DefaultSubscriber
    relay: OutboxRelay | None
    tokens: TokenStore
    queries: JobQueries
    details: JobDetails
    commissions: Commissions
    idempotency: IdempotencyKeys
    bus: MessageBus
    blobs: BlobStore
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def upload_limit(self) -> int:
        return self.settings.max_upload_bytes

    async def readiness(self) -> dict[str, str]:
        checks = {"postgres": "ok", "kafka": "ok", "dispatch_consumer": "ok"}
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            checks["postgres"] = f"unreachable: {error}"
        if not await self.broker.ping(timeout=2.0):
            checks["kafka"] = "unreachable"
        consumer = self.fact_subscriber.consumer
        if consumer is None or not consumer.assignment():
            checks["dispatch_consumer"] = "no partitions assigned yet"
        return checks


def _producer(settings: Settings) -> AIOKafkaProducer:
    # Idempotent and acks=all: a retried send never duplicates or reorders a partition.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="jobline-jobs",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


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
        await ensure_topics(settings.kafka_bootstrap_servers)
        producer = _producer(settings)
        await producer.start()
        stack.push_async_callback(producer.stop)

        bus = MessageBus(lambda causation: _uow(pool, causation))
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers, client_id="jobline-jobs", log_level=logging.DEBUG
        )
        subscriber = dispatch_consumer.subscribe(
            broker, dispatch_consumer.FactConsumer(bus, producer), settings
        )
        runtime = JobsRuntime(
            settings,
            pool,
            producer,
            broker,
            subscriber,
            relay=None,
            tokens=TokenStore(pool),
            queries=JobQueries(pool),
            details=JobDetails(pool),
            commissions=Commissions(pool),
            idempotency=IdempotencyKeys(pool),
            bus=bus,
            blobs=BlobStore(settings.blob_url),
        )
        if settings.relay_enabled:
            runtime.relay = OutboxRelay(
                settings.dsn, producer, batch_size=settings.relay_batch_size
            )
            task = asyncio.create_task(runtime.relay.run(runtime.stopping), name="outbox-relay")
            stack.push_async_callback(_stop_task, task, runtime.stopping)
        await broker.start()
        # Registered last so it runs first: stop consuming (finishing the message in
        # hand and committing) before the relay, producer and pool go away.
        stack.push_async_callback(broker.stop)
        log.info("jobs service started")
        yield runtime


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

    return http.build_app(lifespan)

"""The one place that builds the jobs service's resources and wires them together."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_contracts.topics import (
    COMMS_EVENTS,
    DISPATCH_EVENTS,
    INVOICING_EVENTS,
    TOPICS,
    TopicSpec,
)
from jobline_infra.body_limits import JSON_LIMIT, MULTIPART_ALLOWANCE, BodyLimits
from jobline_infra.kafka import idempotent_producer, is_reading
from jobline_infra.kafka_topics import ensure_topics
from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_infra.observability.kafka import broker_logger, broker_middlewares
from jobline_infra.observability.metrics import refresh_outbox
from jobline_infra.outbox_relay import OutboxRelay
from jobline_infra.probes import shared_readiness
from jobline_jobs.adapters.accounts import PostgresAccounts
from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.commissions import Commissions
from jobline_jobs.adapters.communications import PostgresCommunicationQueries
from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.invoices import PostgresInvoiceQueries
from jobline_jobs.adapters.issuer_cache import IssuerCache
from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_page import PostgresJobPage
from jobline_jobs.adapters.job_queries import JobQueries
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.oidc import OidcProvider
from jobline_jobs.adapters.outbox import NOTIFY_CHANNEL, RELAY_LOCK
from jobline_jobs.adapters.passwords import Argon2Secrets
from jobline_jobs.adapters.pool import create_pool
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.replies import PostgresReplyQueries
from jobline_jobs.adapters.sealed_secrets import SecretBox, SecretsKeyMissing
from jobline_jobs.adapters.sign_on import PostgresSignOn
from jobline_jobs.adapters.tokens import TokenStore
from jobline_jobs.config import Settings, secrets_keys
from jobline_jobs.domain.accounts import LockoutPolicy, SessionPolicy
from jobline_jobs.entrypoints import consumers, http, operations
from jobline_jobs.entrypoints.api.documents import UPLOAD_PATHS
from jobline_jobs.entrypoints.api.rate_limits import RateLimits
from jobline_jobs.entrypoints.translate import (
    comms_event_to_command,
    fact_to_command,
    invoicing_event_to_command,
)
from jobline_jobs.entrypoints.transport_security import StrictTransportSecurity
from jobline_jobs.service_layer.accounts import Accounts, Lockouts
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.queries import CommunicationQueries, InvoiceQueries
from jobline_jobs.service_layer.reply_ports import ReplyQueries
from jobline_jobs.service_layer.schedule import (
    Clock,
    release_due_communications,
    release_due_subjobs,
    system_clock,
)
from jobline_jobs.service_layer.sign_on import SignOn
from jobline_jobs.service_layer.sign_on_settings import SignOnSettings
from jobline_jobs.service_layer.unit_of_work import Causation

log = logging.getLogger(__name__)
GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections (the default: 700)


@dataclass(eq=False)  # hashed by identity: its readiness answer is shared (probes)
class JobsRuntime:
    """What a jobs process runs: the roles of ``settings.roles`` (``api``, ``consume``,
    ``relay``), each started by a small piece below; what a role does not need is None."""

    settings: Settings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer | None
    broker: KafkaBroker | None
    subscribers: dict[str, LogicSubscriber[Any]]
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
    job_page: PostgresJobPage  # issue 18, the job page
    accounts: Accounts
    replies: ReplyQueries  # issue 20: conversations and the inbox
    sign_on: SignOn  # issue 18: single sign-on
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    clock: Clock = system_clock  # what the scheduler takes as now (tests drive it)

    @property
    def upload_limit(self) -> int:
        return self.settings.max_upload_bytes

    @property
    def invoice_wait(self) -> float:
        return self.settings.invoice_wait_seconds

    @shared_readiness
    async def readiness(self) -> dict[str, str]:
        """Each role's own dependencies: the API needs PostgreSQL; a consumer, Kafka and
        partitions it reads; a relay, its lanes held or awaited (a member of the relays)."""
        checks = {"postgres": "ok"}
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # The detail goes to the log: /readyz answers strangers too.
            log.warning("readiness: PostgreSQL unreachable: %s", error)
            checks["postgres"] = "unreachable"
        if self.broker is not None:
            checks["kafka"] = "ok" if await self.broker.ping(timeout=2.0) else "unreachable"
        for topic, subscriber in self.subscribers.items():
            ok = await is_reading(subscriber)
            checks[f"consumer {topic}"] = "ok" if ok else "no partitions positioned yet"
        if self.relay is not None:
            checks["outbox relay"] = "ok" if self.relay.connected else "not connected"
        return checks

    async def refresh_metrics(self) -> None:
        """Gauges read when scraped: the outbox backlog (rows and the oldest one's age)."""
        await refresh_outbox(self.pool, "jobs")


@contextlib.asynccontextmanager
async def running(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[JobsRuntime]:
    """Start the roles of ``settings.roles``; stop them in reverse order on exit. The
    scheduler (with ``relay``) takes ``clock`` as now."""
    roles = set(settings.roles)
    async with contextlib.AsyncExitStack() as stack:
        pool = await _database(stack, settings)
        producer = await _producer(stack, settings) if roles & {"consume", "relay"} else None
        bus = MessageBus(lambda causation: _uow(pool, causation))
        runtime = JobsRuntime(
            settings,
            pool,
            producer,
            broker=None,
            subscribers={},
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
            job_page=PostgresJobPage(pool),
            accounts=(users := accounts(pool, settings, clock)),
            replies=PostgresReplyQueries(pool),
            sign_on=sign_on(pool, users, settings),
            clock=clock,
        )
        if producer is not None and "relay" in roles:
            _start_relay(stack, runtime, producer)
        if producer is not None and "consume" in roles:
            await _start_consuming(stack, runtime, producer)
        log.info("jobs service started: %s", ", ".join(settings.roles))
        # What start-up built (modules, routes, schemas, clients: ~120k objects) lives as
        # long as the process: frozen, the collector's full passes no longer walk it (each
        # such pass stalled every request in flight for ~55 ms), as in the comms service.
        gc.freeze()
        # A batch of facts allocates hundreds of thousands of short-lived objects, nearly
        # all freed by reference counting: at the default 700 allocations a young pass,
        # the collector took ~22 us of a fact's ~156 us (the consume path, measured in
        # process); at 10,000, ~4 us. Kept jobs (job_cache) are walked rarely either way.
        gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
        yield runtime


def accounts(pool: asyncpg.Pool, settings: Settings, clock: Clock = system_clock) -> Accounts:
    """Users and console sessions, with the settings' expiries and lockout."""
    window = timedelta(seconds=settings.lockout_seconds)
    return Accounts(
        PostgresAccounts(pool),
        Argon2Secrets(),
        SessionPolicy(
            idle=timedelta(seconds=settings.session_idle_seconds),
            absolute=timedelta(seconds=settings.session_absolute_seconds),
        ),
        Lockouts(
            account=LockoutPolicy(settings.lockout_attempts, window),
            address=LockoutPolicy(settings.lockout_address_attempts, window),
        ),
        setup_ttl=timedelta(hours=settings.invite_link_hours),
        clock=clock,
    )


def sign_on(pool: asyncpg.Pool, users: Accounts, settings: Settings) -> SignOn:
    """Single sign-on through each tenant's OpenID Connect issuer, if it has one."""
    local = settings.env == "development"
    provider = OidcProvider(IssuerCache(private_ok=local))
    return SignOn(sign_on_store(pool, settings), provider, users, plain_loopback=local)


def sign_on_store(pool: asyncpg.Pool, settings: Settings) -> PostgresSignOn:
    """The tenants' single sign-on settings, client secrets sealed by the settings' key."""
    return PostgresSignOn(pool, SecretBox(secrets_keys(settings.secrets_key)))


def sign_on_settings(pool: asyncpg.Pool, settings: Settings) -> SignOnSettings:
    """What ``jobline-jobs sso`` changes (the API's routes use the runtime's ``sign_on``)."""
    local = settings.env == "development"
    provider = OidcProvider(IssuerCache(private_ok=local))
    return SignOnSettings(sign_on_store(pool, settings), provider, plain_loopback=local)


async def _seal_plaintext(pool: asyncpg.Pool, settings: Settings) -> None:
    """Seal the client secrets 0026 stored in plain text (SQL cannot, so 0029 did not)."""
    try:
        sealed = await sign_on_store(pool, settings).seal_plaintext()
    except SecretsKeyMissing:
        log.warning("JOBLINE_JOBS_SECRETS_KEY is unset: single sign-on secrets stay unsealed")
        return
    if sealed:
        log.info("sealed %d single sign-on client secrets stored in plain text", sealed)


async def _database(stack: contextlib.AsyncExitStack, settings: Settings) -> asyncpg.Pool:
    pool = await create_pool(settings.dsn, min_size=2, max_size=settings.db_pool_size)
    stack.push_async_callback(pool.close)
    if settings.migrate_on_start:
        async with pool.acquire() as conn:
            await migrate(conn)
    if "api" in settings.roles:  # the role given the secrets key
        await _seal_plaintext(pool, settings)
    return pool


async def _producer(stack: contextlib.AsyncExitStack, settings: Settings) -> AIOKafkaProducer:
    """The topics (created if missing) and the idempotent producer of consumers and relay."""
    topic = _namespaced(settings.topic_prefix)
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        map(topic, TOPICS),
        client_id="jobline-jobs",
        security=settings.kafka_security,
    )
    producer = idempotent_producer(
        settings.kafka_bootstrap_servers, "jobline-jobs", settings.kafka_security
    )
    await producer.start()
    stack.push_async_callback(producer.stop)
    return producer


async def _start_consuming(
    stack: contextlib.AsyncExitStack, runtime: JobsRuntime, producer: AIOKafkaProducer
) -> None:
    """The broker and its subscribers (dispatch facts, invoicing and comms events); several
    consume processes of one group split the partitions."""
    settings, pool, bus = runtime.settings, runtime.pool, runtime.bus
    topic = _namespaced(settings.topic_prefix)
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id="jobline-jobs",
        security=settings.kafka_security.broker_security(),
        log_level=logging.DEBUG,
        logger=broker_logger(),
        middlewares=broker_middlewares("jobs"),
    )
    facts = consumers.TopicConsumer(
        topic(DISPATCH_EVENTS),
        "jobs.dispatch-facts",
        fact_to_command,
        bus,
        producer,
        actor="upstream",
    )
    renders = consumers.TopicConsumer(
        topic(INVOICING_EVENTS),
        "jobs.invoicing-events",
        invoicing_event_to_command,
        bus,
        producer,
        actor="invoicing",
    )
    statuses = consumers.TopicConsumer(
        topic(COMMS_EVENTS),
        "jobs.comms-events",
        comms_event_to_command,
        bus,
        producer,
        actor="comms",
    )
    router = KafkaRouter()
    jobs_cache = JobCache()  # the batches' jobs, kept between them (adapters/job_cache.py)
    runtime.subscribers = {
        DISPATCH_EVENTS.name: consumers.subscribe_batches(
            router, facts, settings, batches=lambda: PostgresBatch(pool, jobs_cache)
        ),
        INVOICING_EVENTS.name: consumers.subscribe(router, renders, settings, ".invoicing"),
        COMMS_EVENTS.name: consumers.subscribe(router, statuses, settings, ".comms"),
    }
    broker.include_router(router)
    runtime.broker = broker
    await broker.start()
    # Registered last so it runs first: stop consuming (finishing the message in hand and
    # committing) before the relay, producer and pool go away.
    stack.push_async_callback(broker.stop)


def _start_relay(
    stack: contextlib.AsyncExitStack, runtime: JobsRuntime, producer: AIOKafkaProducer
) -> None:
    """The outbox relay (the lanes this process holds: ``jobline_infra.outbox_lanes``) and
    the scheduler of due communications and subjobs."""
    settings, stopping = runtime.settings, runtime.stopping
    runtime.relay = OutboxRelay(
        settings.dsn,
        producer,
        schema="jobs",
        channel=NOTIFY_CHANNEL,
        lock_id=RELAY_LOCK,
        lanes=settings.outbox_lanes,
        batch_size=settings.relay_batch_size,
        topic_prefix=settings.topic_prefix,
    )
    _background(stack, runtime.relay.run(stopping), "outbox-relay", stopping)
    _background(
        stack, _release_scheduled(runtime.bus, runtime.clock, stopping), "scheduler", stopping
    )


def _background(
    stack: contextlib.AsyncExitStack,
    work: Coroutine[Any, Any, None],
    name: str,
    stopping: asyncio.Event,
) -> None:
    """Run ``work`` until ``stopping`` is set on the way out."""
    task = asyncio.create_task(work, name=name)
    stack.push_async_callback(_stop_task, task, stopping)


async def _release_scheduled(bus: MessageBus, clock: Clock, stop: asyncio.Event) -> None:
    """Hand communications whose send_at has come to the outbox, and make subjobs whose
    bill_on has come billable (the schedules are in the database, so they survive
    restarts; SKIP LOCKED lets several replicas share them)."""
    while not stop.is_set():
        try:
            await release_due_communications(bus, clock)
            await release_due_subjobs(bus, clock)
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


def create_app(settings: Settings, clock: Clock = system_clock) -> FastAPI:
    """The HTTP app, whose lifespan runs the process's roles: the API and console with
    ``api``, otherwise only /healthz, /readyz and /metrics."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings, clock) as runtime:
            app.state.runtime = runtime
            yield

    app = (
        http.build_app(lifespan, RateLimits.of_settings(settings))
        if "api" in settings.roles
        else operations.build_app(lifespan)
    )
    uploads = settings.max_upload_bytes + MULTIPART_ALLOWANCE
    app.add_middleware(BodyLimits, default=JSON_LIMIT, limits=[(UPLOAD_PATHS, uploads)])
    app.add_middleware(ObservabilityMiddleware)  # request ids, HTTP metrics, /metrics
    app.add_middleware(StrictTransportSecurity, max_age=settings.hsts_max_age_seconds)
    return app

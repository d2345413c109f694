"""The one place that builds the comms service's resources and wires them together."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_comms.adapters.attempts import PostgresAttempts
from jobline_comms.adapters.blob_store import BlobStore
from jobline_comms.adapters.email_providers import EmailProviders
from jobline_comms.adapters.migrate import migrate
from jobline_comms.adapters.opt_outs import PostgresOptOuts
from jobline_comms.adapters.outbox import NOTIFY_CHANNEL, RELAY_LOCK
from jobline_comms.adapters.rate_limit import PostgresRateLimiter
from jobline_comms.adapters.replies import PostgresReplyRouting, TwilioMedia
from jobline_comms.adapters.reports import PostgresReports
from jobline_comms.adapters.sendgrid_email import SendgridEmail
from jobline_comms.adapters.sendgrid_signatures import SendgridSignatures
from jobline_comms.adapters.smtp_email import SmtpEmail
from jobline_comms.adapters.twilio_signatures import TwilioSignatures
from jobline_comms.adapters.twilio_sms import TwilioSms
from jobline_comms.adapters.unit_of_work import BatchedChanges, PostgresUnitOfWork
from jobline_comms.config import Settings
from jobline_comms.domain.policy import Backoff
from jobline_comms.domain.senders import Senders
from jobline_comms.entrypoints import commands, http, inbound
from jobline_comms.entrypoints.dispatcher import Dispatcher
from jobline_comms.entrypoints.sendgrid_events import EVENTS_PATH
from jobline_comms.entrypoints.status_checks import StatusChecks
from jobline_comms.service_layer.byte_budget import ByteBudget
from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.reply_ports import ReplyServices
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS
from jobline_infra.body_limits import MIB, WEBHOOK_LIMIT, BodyLimits
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.kafka import idempotent_producer, is_reading
from jobline_infra.kafka_topics import ensure_topics
from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_infra.observability.kafka import broker_logger, broker_middlewares
from jobline_infra.observability.metrics import refresh_outbox
from jobline_infra.outbox_relay import OutboxRelay
from jobline_infra.probes import shared_readiness

log = logging.getLogger(__name__)


@dataclass(eq=False)  # hashed by identity: its readiness answer is shared (probes)
class CommsRuntime:
    settings: Settings
    services: Services
    pool: "asyncpg.Pool[Any]"
    broker: KafkaBroker
    subscriber: LogicSubscriber[Any]
    signatures: TwilioSignatures = field(init=False)
    sendgrid_signatures: SendgridSignatures = field(init=False)

    def __post_init__(self) -> None:
        previous = self.settings.twilio_previous_auth_token
        self.signatures = TwilioSignatures(
            self.settings.twilio_auth_token.get_secret_value(),
            previous.get_secret_value() if previous else None,
        )
        self.sendgrid_signatures = SendgridSignatures(
            self.settings.sendgrid_event_public_key,
            tolerance_seconds=self.settings.sendgrid_event_max_age_seconds,
        )

    @property
    def status_callback_url(self) -> str:
        return self.settings.status_callback_url

    @property
    def inbound_url(self) -> str:
        return self.settings.inbound_url

    def signature_ok(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        return self.signatures.valid(url, params, signature)

    def sendgrid_event_ok(self, body: bytes, signature: str, timestamp: str) -> bool:
        return self.sendgrid_signatures.valid(body, signature, timestamp)

    def inbound_parse_ok(self, token: str) -> bool:
        expected = self.settings.inbound_parse_token
        return inbound.token_matches(token, expected.get_secret_value() if expected else None)

    @shared_readiness
    async def readiness(self) -> dict[str, str]:
        checks = {"database": "ok", "kafka": "ok", "consumer": "ok"}
        try:
            await self.pool.fetchval("SELECT 1", timeout=2)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            checks["database"] = "unreachable"
        if not await self.broker.ping(timeout=2.0):
            checks["kafka"] = "unreachable"
        if not await is_reading(self.subscriber):
            checks["consumer"] = "no partitions positioned yet"
        return checks

    async def refresh_metrics(self) -> None:
        """Gauges read when scraped: the outbox backlog."""
        await refresh_outbox(self.pool, "comms")


def _senders(settings: Settings) -> Senders:
    return Senders(
        settings.default_sms_sender,
        settings.default_email_sender,
        settings.sms_senders,
        settings.email_senders,
        frozenset(settings.sending_domains),
    )


def _email(settings: Settings) -> tuple[EmailProviders, SendgridEmail | None]:
    """SMTP always (the self-hosters' default); SendGrid where the deployment or a tenant
    is set to it."""
    smtp = SmtpEmail(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    sendgrid = None
    if settings.uses_sendgrid:
        sendgrid = SendgridEmail(
            settings.sendgrid_api_key.get_secret_value(),
            host=settings.sendgrid_base_url,
            timeout=settings.sendgrid_timeout,
            max_calls=min(settings.send_concurrency, 32),
        )
    providers = {"smtp": smtp} | ({"sendgrid": sendgrid} if sendgrid else {})
    return EmailProviders(providers, settings.email_provider, settings.email_providers), sendgrid


async def _services(
    settings: Settings, pool: "asyncpg.Pool[Any]"
) -> tuple[Services, TwilioSms, SendgridEmail | None]:
    sms = TwilioSms(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        base_url=settings.twilio_base_url,
        callback_url=settings.status_callback_url,
        timeout=settings.twilio_timeout,
    )
    email, sendgrid = _email(settings)
    consumer = settings.consumer_group
    blobs = BlobStore(settings.blob_url)
    services = Services(
        unit_of_work=lambda: PostgresUnitOfWork(
            pool, consumer=consumer, claim_timeout=settings.claim_timeout
        ),
        changes=BatchedChanges(pool, consumer=consumer),
        attempts=PostgresAttempts(pool),
        reports=PostgresReports(pool),
        opt_outs=PostgresOptOuts(pool),
        sms=sms,
        email=email,
        blobs=blobs,
        limiter=PostgresRateLimiter(pool, settings.rate_limit_per_second),
        senders=_senders(settings),
        max_attempts=settings.max_attempts,
        attachment_budget=ByteBudget(settings.attachment_budget_bytes),
        backoff=Backoff(settings.retry_base_seconds, settings.retry_max_seconds),
        replies=_replies(settings, pool, blobs),
    )
    return services, sms, sendgrid


def _replies(settings: Settings, pool: "asyncpg.Pool[Any]", blobs: BlobStore) -> ReplyServices:
    media = TwilioMedia(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        settings.twilio_base_url,
        settings.twilio_timeout,
    )
    return ReplyServices(
        media,
        blobs,
        PostgresReplyRouting(pool),
        settings.reply_domain,
        settings.reply_addresses,
        settings.inbound_file_max_bytes,
    )


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[CommsRuntime]:
    """Start everything the service needs; stop it in reverse order on exit."""
    async with contextlib.AsyncExitStack() as stack:
        pool = await asyncpg.create_pool(
            settings.dsn, min_size=2, max_size=settings.db_pool_size, reset=_keep_session
        )
        stack.push_async_callback(pool.close)
        if settings.migrate_on_start:
            async with pool.acquire() as conn:
                await migrate(conn)
        prefix = settings.topic_prefix
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            [replace(spec, name=prefix + spec.name) for spec in (COMMS_COMMANDS, COMMS_EVENTS)],
            client_id="jobline-comms",
            security=settings.kafka_security,
        )
        producer = idempotent_producer(
            settings.kafka_bootstrap_servers, "jobline-comms", settings.kafka_security
        )
        await producer.start()
        stack.push_async_callback(producer.stop)
        services, sms, sendgrid = await _services(settings, pool)
        stack.push_async_callback(sms.close)
        if sendgrid is not None:
            stack.push_async_callback(sendgrid.close)

        relay_stop = asyncio.Event()
        relay = asyncio.create_task(
            OutboxRelay(
                settings.dsn,
                producer,
                schema="comms",
                channel=NOTIFY_CHANNEL,
                lock_id=RELAY_LOCK,
                topic_prefix=prefix,
            ).run(relay_stop)
        )
        stack.push_async_callback(_stopped, relay, relay_stop)
        dispatcher = Dispatcher(
            services, concurrency=settings.send_concurrency, poll_interval=settings.poll_interval
        )
        dispatch_stop = asyncio.Event()
        dispatching = asyncio.create_task(dispatcher.run(dispatch_stop))
        # Stops before the relay: the last outcomes reach the outbox, then Kafka.
        stack.push_async_callback(_stopped, dispatching, dispatch_stop)

        checks_stop = asyncio.Event()
        checking = asyncio.create_task(
            StatusChecks(
                services,
                after=settings.status_check_after,
                give_up_after=settings.status_check_give_up_after,
            ).run(checks_stop)
        )
        stack.push_async_callback(_stopped, checking, checks_stop)

        broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            client_id="jobline-comms",
            security=settings.kafka_security.broker_security(),
            log_level=logging.DEBUG,
            logger=broker_logger(),
            middlewares=broker_middlewares("comms"),
        )
        router = KafkaRouter()
        subscriber = commands.subscribe(
            router,
            services,
            DeadLetters(producer, settings.consumer_group),
            dispatcher.wake,
            group_id=settings.consumer_group,
            auto_offset_reset=settings.auto_offset_reset,
            spec=replace(COMMS_COMMANDS, name=prefix + COMMS_COMMANDS.name),
        )
        broker.include_router(router)
        await broker.start()
        # Registered last so it runs first: stop taking commands, commit, leave the group.
        stack.push_async_callback(broker.stop)
        log.info(
            "comms service %s started: twilio %s, smtp %s:%d, email by %s%s, rate %.2f/s"
            " per sender",
            settings.worker_id,
            settings.twilio_base_url,
            settings.smtp_host,
            settings.smtp_port,
            settings.email_provider,
            f" (sendgrid {settings.sendgrid_base_url})" if sendgrid else "",
            settings.rate_limit_per_second,
        )
        # What start-up built (modules, schemas, clients: ~110k objects) lives as long as
        # the process: frozen, the collector's full passes no longer walk it (each such
        # pass had stalled the event loop for 0.1-0.2 s on the benchmark machine).
        gc.freeze()
        yield CommsRuntime(settings, services, pool, broker, subscriber)


async def _keep_session(_conn: "asyncpg.Connection[Any]") -> None:
    """Nothing to reset on release: the adapters set no session state (no LISTEN, SET or
    lasting advisory lock on pooled connections; asyncpg still rolls back an open
    transaction). The default reset query cost one more round trip per pool use."""


async def _stopped(task: "asyncio.Task[None]", stop: asyncio.Event) -> None:
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=40)


def create_app(settings: Settings) -> FastAPI:
    """The HTTP app, whose lifespan runs the whole service."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = http.build_app(lifespan)
    # Before parsing or signatures; SendGrid posts its events in batches of up to ~1 MB,
    # Inbound Parse up to 30 MB (attachments included).
    email = (r"/v1/inbound/email/[^/]+", 30 * MIB)
    app.add_middleware(BodyLimits, default=WEBHOOK_LIMIT, limits=[(EVENTS_PATH, MIB), email])
    app.add_middleware(ObservabilityMiddleware)  # request ids, HTTP metrics, /metrics
    return app

"""The one place that builds the invoicing service's resources and wires them together."""

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_contracts.topics import INVOICING_COMMANDS, INVOICING_EVENTS
from jobline_infra.body_limits import WEBHOOK_LIMIT, BodyLimits
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.kafka import idempotent_producer, is_reading
from jobline_infra.kafka_topics import ensure_topics
from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_infra.observability.kafka import broker_logger, broker_middlewares
from jobline_infra.probes import shared_readiness
from jobline_invoicing.adapters.blob_store import BlobStore
from jobline_invoicing.adapters.events import KafkaEventPublisher
from jobline_invoicing.adapters.invoice_store import BlobInvoiceStore
from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer
from jobline_invoicing.config import Settings
from jobline_invoicing.entrypoints import commands, http
from jobline_invoicing.service_layer.handlers import Services

log = logging.getLogger(__name__)


@dataclass(eq=False)  # hashed by identity: its readiness answer is shared (probes)
class InvoicingRuntime:
    settings: Settings
    broker: KafkaBroker
    subscriber: LogicSubscriber[Any]

    @shared_readiness
    async def readiness(self) -> dict[str, str]:
        checks = {"kafka": "ok", "consumer": "ok"}
        if not await self.broker.ping(timeout=2.0):
            checks["kafka"] = "unreachable"
        if not await is_reading(self.subscriber):
            checks["consumer"] = "no partitions positioned yet"
        return checks


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[InvoicingRuntime]:
    """Start everything the service needs; stop it in reverse order on exit."""
    async with contextlib.AsyncExitStack() as stack:
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            (INVOICING_COMMANDS, INVOICING_EVENTS),
            client_id="jobline-invoicing",
            security=settings.kafka_security,
        )
        renderer = ProcessPoolRenderer(settings.render_workers, settings.template_dir)
        stack.callback(renderer.close)
        await renderer.start()
        producer = idempotent_producer(
            settings.kafka_bootstrap_servers, "jobline-invoicing", settings.kafka_security
        )
        await producer.start()
        stack.push_async_callback(producer.stop)

        services = Services(
            store=BlobInvoiceStore(BlobStore(settings.blob_url)),
            renderer=renderer,
            events=KafkaEventPublisher(producer),
        )
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            client_id="jobline-invoicing",
            security=settings.kafka_security.broker_security(),
            log_level=logging.DEBUG,
            logger=broker_logger(),
            middlewares=broker_middlewares("invoicing"),
        )
        router = KafkaRouter()
        subscriber = commands.subscribe(
            router,
            services,
            DeadLetters(producer, settings.consumer_group),
            group_id=settings.consumer_group,
            auto_offset_reset=settings.auto_offset_reset,
            concurrency=settings.render_workers,
            max_transient_wait=settings.max_transient_wait,
        )
        broker.include_router(router)
        await broker.start()
        # Registered last so it runs first: stop consuming (finishing the render in hand
        # and committing) before the producer and the render workers go away.
        stack.push_async_callback(broker.stop)
        log.info(
            "invoicing service started: %d render worker(s), template %s, blobs %s",
            settings.render_workers,
            renderer.template_version,
            settings.blob_url,
        )
        # What start-up built lives as long as the process: frozen, the collector's full
        # passes no longer walk it (as in the jobs and comms services).
        gc.freeze()
        yield InvoicingRuntime(settings, broker, subscriber)


def create_app(settings: Settings) -> FastAPI:
    """The HTTP app, whose lifespan runs the whole service."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = http.build_app(lifespan)
    app.add_middleware(BodyLimits, default=WEBHOOK_LIMIT)  # before parsing or signatures
    app.add_middleware(ObservabilityMiddleware)  # request ids, HTTP metrics, /metrics
    return app

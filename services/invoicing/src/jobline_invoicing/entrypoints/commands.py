"""The Kafka subscriber on ``invoicing.commands.v1``: the consumer edge around rendering.

The edge (jobline_infra.consuming) decodes, retries and dead-letters; the offset is
committed once the outcome is published. A render failure is an outcome
(``invoice.render_failed``), not an error. Blob-store and Kafka outages are transient:
retried with backoff and, past that, the command is redelivered. Redelivery is
harmless: the content address makes a second handling report the stored PDF without
drawing it again.
"""

from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber
from obstore.exceptions import BaseError as BlobStoreError

from jobline_contracts.topics import INVOICING_COMMANDS, TopicSpec
from jobline_infra import consuming
from jobline_infra.consuming import ConsumerEdge, Received, RetryPolicy
from jobline_infra.dead_letters import DeadLetters
from jobline_invoicing.entrypoints.translate import causation_of, to_command
from jobline_invoicing.service_layer.handlers import Services, render_invoice

# Failures of the infrastructure, not of the command: waiting helps.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    BlobStoreError,
)


def subscribe(
    router: KafkaRouter,
    services: Services,
    dead_letters: DeadLetters,
    *,
    group_id: str,
    auto_offset_reset: consuming.OffsetReset,
    concurrency: int,
    max_transient_wait: float = 60.0,
    spec: TopicSpec = INVOICING_COMMANDS,
) -> LogicSubscriber[Any]:
    """Render the commands of ``spec`` on ``router``. With ``concurrency`` > 1 as many
    Kafka consumers run in the group, each on its own partitions, so as many renders run
    as there are workers."""

    async def on_render_invoice(received: Received) -> None:
        envelope = received.envelope
        await render_invoice(to_command(envelope), causation_of(envelope), services)

    retry = RetryPolicy(TRANSIENT_ERRORS, max_transient_wait=max_transient_wait)
    edge = ConsumerEdge(spec, on_render_invoice, dead_letters, retry)
    return consuming.subscribe(
        router,
        edge,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        max_workers=concurrency,
    )

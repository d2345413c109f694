"""Typed FastStream subscribers for a :class:`ConsumerEdge`, on a service's KafkaRouter.

FastStream hands the subscriber the record decoded by the edge (its ``decoder``: the one
pydantic pass), typed as :data:`Inbound`, or a list of them in batch mode. Failures
propagate (``NACK_ON_ERROR``): the offset is not committed and the records come again;
every other return commits, after the edge made every effect and dead letter.
"""

from typing import Any, Literal

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.subscriber.usecase import LogicSubscriber
from faststream.message import StreamMessage

from jobline_infra.consuming.edge import ConsumerEdge, Inbound, Received, Record, Refused

OffsetReset = Literal["earliest", "latest"]


def subscribe(
    router: KafkaRouter,
    edge: ConsumerEdge,
    *,
    group_id: str,
    auto_offset_reset: OffsetReset,
    max_workers: int = 1,
) -> LogicSubscriber[Any]:
    """One record at a time. With ``max_workers`` > 1 that many Kafka consumers run in
    the group, each on its own partitions (offsets stay committed in order per
    partition). Returns the subscriber, whose consumers readiness asks for partitions."""

    async def decoder(message: StreamMessage[Record]) -> Inbound:
        return edge.decode(message.raw_message)

    subscriber = router.subscriber(
        edge.spec.name,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decoder,
        max_workers=max_workers,
    )

    @subscriber
    async def on_message(inbound: Received | Refused) -> None:
        await edge.consume(inbound)

    return subscriber


def subscribe_batches(
    router: KafkaRouter,
    edge: ConsumerEdge,
    *,
    group_id: str,
    auto_offset_reset: OffsetReset,
    max_records: int,
    batch_timeout_ms: int = 200,
) -> LogicSubscriber[Any]:
    """Whatever one poll returns (up to ``max_records``, each partition's in offset
    order), handled as one batch and committed at once."""

    async def decoder(message: StreamMessage[tuple[Record, ...]]) -> list[Inbound]:
        return [edge.decode(record) for record in message.raw_message]

    subscriber = router.subscriber(
        edge.spec.name,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decoder,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
    )

    @subscriber
    async def on_batch(inbounds: list[Received | Refused]) -> None:
        await edge.consume_batch(inbounds)

    return subscriber

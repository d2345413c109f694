"""Kafka pieces every service builds the same way."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from faststream.kafka.subscriber.usecase import LogicSubscriber

from jobline_infra.kafka_security import PLAINTEXT, KafkaSecurity


def idempotent_producer(
    bootstrap_servers: str, client_id: str, security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaProducer:
    """Idempotent and acks=all: a retried send never duplicates or reorders a partition.
    Batches of up to 256 KiB a partition (aiokafka's default is 16 KiB): a relay batch of
    500 events then leaves in one produce request per broker instead of several."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        **security.client_options(),
    )


async def is_reading(subscriber: LogicSubscriber[Any]) -> bool:
    """Whether the subscriber (or its subgroup) holds partitions and knows the position it
    reads each from. Ready any earlier, a consumer with ``auto_offset_reset=latest`` would
    skip what is published before it resolved "latest" (a race seen under load)."""
    consumers: list[AIOKafkaConsumer] = [
        c
        for c in (getattr(subscriber, "consumer_subgroup", None) or [subscriber.consumer])
        if c is not None
    ]
    assigned = [(c, tp) for c in consumers for tp in c.assignment()]
    if not assigned:
        return False
    try:
        async with asyncio.timeout(1.0):  # readiness probes must answer promptly
            for consumer, partition in assigned:
                await consumer.position(partition)
    except (TimeoutError, KafkaError):  # a rebalance took the partition meanwhile
        return False
    return True

"""Kafka pieces every service builds the same way."""

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka.subscriber.usecase import LogicSubscriber


def idempotent_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    """Idempotent and acks=all: a retried send never duplicates or reorders a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


def has_partitions(subscriber: LogicSubscriber[Any]) -> bool:
    """Whether the subscriber (or any consumer of its subgroup) has partitions assigned."""
    consumers: list[AIOKafkaConsumer | None] = list(
        getattr(subscriber, "consumer_subgroup", None) or [subscriber.consumer]
    )
    return any(c is not None and c.assignment() for c in consumers)

"""The broker middlewares count, time and put log context on single and batch
subscribers alike (FastStream's in-memory test broker runs them as the real one does)."""

import logging

import pytest
import structlog
from faststream.kafka import KafkaBroker, TestKafkaBroker
from prometheus_client import REGISTRY

from jobline_infra.observability.kafka import broker_logger, broker_middlewares

pytestmark = pytest.mark.unit


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"app_name": "unit", "broker": "kafka", **labels}) or 0.0


async def test_single_and_batch_subscribers_are_counted_per_topic_and_failures_too():
    broker = KafkaBroker(logger=broker_logger(), middlewares=broker_middlewares("unit"))
    seen: list[dict[str, object]] = []

    @broker.subscriber("unit.single.v1")
    async def single(body: str) -> None:
        seen.append(structlog.contextvars.get_contextvars())
        if body == "poison":
            raise ValueError("cannot handle it")

    @broker.subscriber("unit.batch.v1", batch=True)
    async def batch(bodies: list[str]) -> None:
        seen.append(structlog.contextvars.get_contextvars())

    single_before = _sample("jobline_kafka_received_messages_total", handler="unit.single.v1")
    batch_before = _sample("jobline_kafka_received_messages_total", handler="unit.batch.v1")
    failed_before = _sample(
        "jobline_kafka_received_processed_messages_exceptions_total",
        handler="unit.single.v1",
        exception_type="ValueError",
    )
    async with TestKafkaBroker(broker) as test:
        await test.publish("fine", "unit.single.v1")
        with pytest.raises(ValueError, match="cannot handle it"):
            await test.publish("poison", "unit.single.v1")
        await test.publish_batch("a", "b", "c", topic="unit.batch.v1")

    assert _sample("jobline_kafka_received_messages_total", handler="unit.single.v1") == (
        single_before + 2
    )
    assert _sample("jobline_kafka_received_messages_total", handler="unit.batch.v1") == (
        batch_before + 3
    )
    assert (
        _sample(
            "jobline_kafka_received_processed_messages_exceptions_total",
            handler="unit.single.v1",
            exception_type="ValueError",
        )
        == failed_before + 1
    )
    assert (
        _sample(
            "jobline_kafka_received_processed_messages_duration_seconds_count",
            handler="unit.batch.v1",
        )
        >= 1
    )
    assert seen[0]["topic"] == "unit.single.v1"
    assert {"partition", "offset"} <= set(seen[0])
    assert seen[-1] == {"topic": "unit.batch.v1", "batch": 3}
    assert structlog.contextvars.get_contextvars() == {}  # nothing leaks past a message
    assert broker_logger().name == "jobline.kafka"
    assert not logging.getLogger("jobline.kafka").handlers

"""A batch of facts that cannot go through in one transaction falls back to one message at
a time: the jobs' fallback hook on the consumer edge logs it at WARNING with its cause and
counts it in ``jobline_batch_fallbacks_total{reason}``; a batch that goes through is
neither. The records go through the edge the batch subscriber uses, on PostgreSQL."""

import logging
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from prometheus_client import REGISTRY

from jobline_contracts.codec import decode
from jobline_contracts.envelope import Payload
from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_infra.consuming import ConsumerEdge
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.entrypoints import consumers
from jobline_jobs.entrypoints.translate import fact_to_command
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_testing.stories import JobStory

pytestmark = pytest.mark.integration

LOGGER = "jobline_jobs.entrypoints.consumers"


@pytest.fixture
async def edge(db: asyncpg.Pool) -> ConsumerEdge:
    # Never started: the cases here dead-letter through the outbox, not the producer.
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
    facts = consumers.TopicConsumer(
        DISPATCH_EVENTS,
        "jobs.dispatch-facts",
        fact_to_command,
        MessageBus(lambda why: PostgresUnitOfWork(db, why)),
        producer,
        actor="upstream",
    )
    return consumers.batch_edge(facts, lambda: PostgresBatch(db))


async def consume(edge: ConsumerEdge, batch: list[ConsumerRecord[Any, Any]]) -> None:
    """One poll's records, as the batch subscriber hands them to the edge."""
    await edge.consume_batch([edge.decode(record) for record in batch])


def records(story: JobStory, payloads: list[Payload]) -> list[ConsumerRecord[Any, Any]]:
    key = story.key.encode()
    values = [story.envelope(payload).to_json() for payload in payloads]
    return [
        ConsumerRecord(DISPATCH_EVENTS.name, 0, n, 0, 0, key, v, None, len(key), len(v), [])
        for n, v in enumerate(values)
    ]


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("jobline_batch_fallbacks_total", {"reason": reason}) or 0.0


async def outcomes(db: asyncpg.Pool, batch: list[ConsumerRecord[Any, Any]]) -> list[str]:
    ids = [decode(DISPATCH_EVENTS, record.value).message_id for record in batch]
    found = await db.fetch(
        "SELECT message_id, outcome FROM jobs.processed_messages WHERE message_id = ANY($1)", ids
    )
    by_id = {row["message_id"]: row["outcome"] for row in found}
    return [by_id.get(message_id, "missing") for message_id in ids]


async def test_a_refused_fact_makes_the_batch_fall_back_with_a_warning_and_a_count(
    edge: ConsumerEdge,
    db: asyncpg.Pool,
    tenant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    story = JobStory(tenant)
    # Invoicing a job still open for dispatch is refused.
    batch = records(story, [story.dispatched(), story.invoiced(), story.started()])
    before = fallbacks("refused")

    with caplog.at_level(logging.INFO, logger=LOGGER):
        await consume(edge, batch)

    logged = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelno for r in logged] == [logging.WARNING]
    assert "refused" in logged[0].getMessage()
    assert fallbacks("refused") == before + 1
    assert await outcomes(db, batch) == ["applied", "rejected", "applied"]


async def test_a_clash_at_commit_is_counted_as_a_conflict(
    edge: ConsumerEdge,
    db: asyncpg.Pool,
    tenant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = JobStory(tenant), JobStory(tenant)
    await consume(edge, records(first, [first.dispatched()]))
    # Another job under a number taken already: only the insert at commit finds out.
    clash = records(second, [replace(second, number=first.number).dispatched()])
    before = fallbacks("conflict")

    with caplog.at_level(logging.INFO, logger=LOGGER):
        await consume(edge, clash)

    logged = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelno for r in logged] == [logging.WARNING]
    assert "conflict" in logged[0].getMessage()
    assert fallbacks("conflict") == before + 1
    assert await outcomes(db, clash) == ["rejected"]


async def test_a_batch_that_goes_through_is_neither_logged_nor_counted(
    edge: ConsumerEdge,
    db: asyncpg.Pool,
    tenant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    story = JobStory(tenant)
    batch = records(story, [story.dispatched(), story.started()])
    before = {reason: fallbacks(reason) for reason in ("refused", "conflict", "error")}

    with caplog.at_level(logging.INFO, logger=LOGGER):
        await consume(edge, batch)

    assert [r for r in caplog.records if r.name == LOGGER] == []
    assert {reason: fallbacks(reason) for reason in before} == before
    assert await outcomes(db, batch) == ["applied", "applied"]

"""The Prometheus metrics the services share, and the ``/metrics`` answer.

Consumption is measured at the broker (FastStream's Prometheus middleware, so single and
batch subscribers alike): ``jobline_kafka_received_messages_total``,
``jobline_kafka_received_processed_messages_total{status}`` (acked, nacked, rejected,
error), ``jobline_kafka_received_processed_messages_duration_seconds`` and
``jobline_kafka_received_processed_messages_exceptions_total``, labelled by
``app_name`` (the service) and ``handler`` (the topic).
"""

import time
from typing import Any

import asyncpg
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from jobline_infra.postgres import Connection

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)

HTTP_REQUESTS = Counter(
    "jobline_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "jobline_http_request_duration_seconds",
    "Time to answer an HTTP request (to the last body byte), by route template",
    ["method", "route"],
    buckets=_LATENCY,
)
DEAD_LETTERS = Counter(
    "jobline_dead_letters_total",
    "Messages sent to <topic>.dlq, by original topic and kind",
    ["topic", "kind"],
)
BATCH_FALLBACKS = Counter(
    "jobline_batch_fallbacks_total",
    "Batches of messages applied one by one instead, by why the batch failed"
    " (refused, conflict, error)",
    ["reason"],
)
OUTBOX_PUBLISHED = Counter(
    "jobline_outbox_published_total",
    "Outbox rows the relay published (and deleted), by outbox and topic",
    ["outbox", "topic"],
)
OUTBOX_UNPUBLISHED = Gauge(
    "jobline_outbox_unpublished_rows",
    "Outbox rows committed and not yet published (read at scrape time)",
    ["outbox"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "jobline_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row; 0 when the outbox is empty",
    ["outbox"],
)
OUTBOX_LANE_HELD = Gauge(
    "jobline_outbox_relay_lane_held",
    "1 for each outbox lane this process relays (holds the lane's advisory lock), else 0",
    ["outbox", "lane"],
)
DELIVERIES = Counter(
    "jobline_comms_deliveries_total",
    "Delivery outcomes recorded by comms (attempts and provider status reports)",
    ["channel", "status"],
)
PROVIDER_CALLS = Histogram(
    "jobline_comms_provider_call_seconds",
    "Duration of one provider call (Twilio create or status check, SMTP send), by outcome",
    ["provider", "outcome"],
    buckets=_SLOW,
)
RENDERS = Histogram(
    "jobline_invoicing_render_seconds",
    "Time to draw one invoice PDF in the render pool, by outcome",
    ["outcome"],
    buckets=_SLOW,
)


def kafka_middleware(service: str) -> KafkaPrometheusMiddleware:
    """Consumed/processed/failed counts and handler latency per topic, for ``service``."""
    return KafkaPrometheusMiddleware(
        registry=REGISTRY, app_name=service, metrics_prefix="jobline_kafka"
    )


def dead_lettered(topic: str, kind: str) -> None:
    """Count one message dead-lettered from ``topic``."""
    DEAD_LETTERS.labels(topic, kind).inc()


def batch_fell_back(reason: str) -> None:
    """Count one batch that fell back to the one-message-at-a-time path."""
    BATCH_FALLBACKS.labels(reason).inc()


async def refresh_outbox(conn: "asyncpg.Pool[Any] | Connection", schema: str) -> None:
    """Read the backlog of ``<schema>.outbox`` into the gauges: one cheap query (the
    outbox is kept near empty; the oldest row is found by its primary key)."""
    row = await conn.fetchrow(
        f"SELECT count(*) AS rows,"  # noqa: S608 - a fixed schema name
        f" extract(epoch FROM now() - (SELECT created_at FROM {schema}.outbox"
        f"  ORDER BY outbox_id LIMIT 1)) AS age FROM {schema}.outbox"
    )
    assert row is not None  # noqa: S101 - an aggregate always answers one row
    OUTBOX_UNPUBLISHED.labels(schema).set(row["rows"])
    OUTBOX_OLDEST_AGE.labels(schema).set(float(row["age"] or 0.0))


def exposition() -> bytes:
    """The Prometheus text format of every metric of this process."""
    return generate_latest(REGISTRY)


class Stopwatch:
    """``with Stopwatch() as watch: ...; watch.seconds``."""

    def __enter__(self) -> "Stopwatch":
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self._start

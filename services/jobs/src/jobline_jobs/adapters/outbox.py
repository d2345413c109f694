"""Writing the outbox: lifecycle envelopes and dead letters, in the caller's transaction."""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import JOBS_LIFECYCLE
from jobline_infra.dead_letters import dead_letter_headers
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage

NOTIFY_CHANNEL = "jobs_outbox"
RELAY_LOCK = 0x52454C59  # "RELY": elects one relay among the jobs processes

OutboxRow = tuple[str, bytes | None, bytes, str]  # topic, key, value, headers as JSON
_INSERT = (
    "INSERT INTO jobs.outbox (topic, key, value, headers, traceparent) VALUES ($1, $2, $3, $4, $5)"
)


def envelope_row(topic: str, key: UUID, envelope: Envelope[Any]) -> OutboxRow:
    """An envelope as an outbox row, keyed by ``key``."""
    headers = {"content-type": "application/json", "message-type": envelope.type}
    return (topic, str(key).encode(), envelope.to_json(), json.dumps(headers))


async def insert(conn: Connection, rows: Sequence[OutboxRow]) -> None:
    """``rows`` into the outbox in the caller's transaction, with the trace being handled
    (the request or message); the NOTIFY, delivered at commit, wakes the relay."""
    if not rows:
        return
    traceparent = current_traceparent()
    await conn.executemany(_INSERT, [(*row, traceparent) for row in rows])
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


class OutboxWriter:
    """Collects outbox rows during a unit of work and writes them in one statement."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows: list[OutboxRow] = []

    def add_lifecycle(
        self, tenant_id: str, job_id: UUID, payload: Payload, causation: Causation
    ) -> None:
        envelope = Envelope.wrap(
            payload,
            tenant_id=tenant_id,
            occurred_at=causation.occurred_at,
            correlation_id=causation.correlation_id,
            causation_id=causation.message_id,
        )
        self._rows.append(envelope_row(JOBS_LIFECYCLE.name, job_id, envelope))

    def add_dead_letter(self, source: SourceMessage, consumer: str, kind: str, reason: str) -> None:
        """The original bytes, unchanged, with why they were refused in the headers."""
        headers = dead_letter_headers(source, consumer, kind, reason)
        self._rows.append((source.topic + ".dlq", source.key, source.value, json.dumps(headers)))

    async def flush(self) -> None:
        await insert(self._conn, self._rows)
        self._rows.clear()

    def discard(self) -> None:
        self._rows.clear()

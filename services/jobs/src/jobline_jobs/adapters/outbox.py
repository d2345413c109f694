"""Writing the outbox: the rows of ``wire`` and dead letters, in the caller's transaction."""

import json
from collections.abc import Iterable

from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.service_layer.unit_of_work import SourceMessage

NOTIFY_CHANNEL = "jobs_outbox"
RELAY_LOCK = 0x52454C59  # "RELY": elects one relay among the jobs processes

# topic, key, value, headers as JSON, and the trace to publish it in (None: the trace
# being handled when the row is written, the request or message)
OutboxRow = tuple[str, bytes | None, bytes, str, str | None]
_INSERT = (
    "INSERT INTO jobs.outbox (topic, key, value, headers, traceparent) VALUES ($1, $2, $3, $4, $5)"
)


class OutboxWriter:
    """Collects outbox rows during a unit of work and writes them in one statement."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows: list[OutboxRow] = []

    def add(self, rows: Iterable[OutboxRow]) -> None:
        self._rows.extend(rows)

    def add_dead_letter(self, source: SourceMessage, consumer: str, kind: str, reason: str) -> None:
        """The original bytes, unchanged, with why they were refused in the headers."""
        headers = {
            "x-dlq-kind": kind,
            "x-dlq-reason": reason,
            "x-dlq-consumer": consumer,
            "x-original-topic": source.topic,
            "x-original-partition": str(source.partition),
            "x-original-offset": str(source.offset),
        }
        self._rows.append(
            (source.topic + ".dlq", source.key, source.value, json.dumps(headers), None)
        )

    async def flush(self) -> None:
        """The rows into the outbox; the NOTIFY, delivered at commit, wakes the relay."""
        if not self._rows:
            return
        current = current_traceparent()
        await self._conn.executemany(_INSERT, [(*row[:4], row[4] or current) for row in self._rows])
        await self._conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        self._rows.clear()

    def discard(self) -> None:
        self._rows.clear()

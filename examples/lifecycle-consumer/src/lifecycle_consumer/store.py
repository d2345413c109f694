"""The read model in PostgreSQL (schema ``lifecycle_consumer``), written with asyncpg.

Each event is one transaction: record its ``message_id``, and only if that was new, change
the job's row. A duplicate delivery therefore changes nothing, even after a crash between
the write and the offset commit.
"""

from importlib.resources import files
from uuid import UUID

import asyncpg

from lifecycle_consumer.inbound import Event, Rejected, Skipped
from lifecycle_consumer.projection import COLUMNS, changes

# A rejected message is kept for a look, not for ever: cut to what a person reads.
KEPT_BYTES = 64 * 1024

_RECORD_APPLIED = """
INSERT INTO lifecycle_consumer.applied_messages
    (message_id, type, tenant_id, job_id, occurred_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (message_id) DO NOTHING
RETURNING true
"""

_RECORD_UNAPPLIED = """
INSERT INTO lifecycle_consumer.unapplied_messages
    (topic, "partition", "offset", outcome, kind, reason, message_id, type, value)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (topic, "partition", "offset") DO NOTHING
"""


def _upsert_job(columns: list[str]) -> str:
    """INSERT … ON CONFLICT for the job row, setting ``columns`` (names from COLUMNS only)."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not read-model columns: {sorted(unknown)}")
    names = ["job_id", "tenant_id", "job_number", *columns]
    values = ", ".join(f"${i}" for i in range(1, len(names) + 3))
    updates = "".join(f", {c} = EXCLUDED.{c}" for c in ["job_number", *columns])
    return (
        f"INSERT INTO lifecycle_consumer.jobs ({', '.join(names)}, last_event_type, "  # noqa: S608 -- column names come from COLUMNS, values are parameters
        f"last_occurred_at, events) VALUES ({values}, 1) "
        "ON CONFLICT (job_id) DO UPDATE SET events = lifecycle_consumer.jobs.events + 1, "
        "last_event_type = EXCLUDED.last_event_type, "
        f"last_occurred_at = EXCLUDED.last_occurred_at{updates}"
    )


class ReadModel:
    """The consumer's tables; ``open`` creates them if need be."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=2)
        schema = files("lifecycle_consumer").joinpath("schema.sql").read_text()
        async with self._pool.acquire() as conn:
            await conn.execute(schema)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the read model is not open")
        return self._pool

    async def apply(self, event: Event) -> bool:
        """Apply ``event`` once; False when its message_id was applied before."""
        envelope = event.envelope
        payload = envelope.payload
        job_id: UUID | None = getattr(payload, "job_id", None)
        # A reply in the tenant's inbox names no job; an event about a job names its number.
        job_number: str | None = getattr(payload, "job_number", None)
        async with self.pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(
                _RECORD_APPLIED,
                envelope.message_id,
                envelope.type,
                envelope.tenant_id,
                job_id,
                envelope.occurred_at,
            )
            if not first_time:
                return False
            if job_id is not None and job_number is not None:
                changed = changes(payload)
                await conn.execute(
                    _upsert_job(list(changed)),
                    job_id,
                    envelope.tenant_id,
                    job_number,
                    *changed.values(),
                    envelope.type,
                    envelope.occurred_at,
                )
        return True

    async def set_aside(self, inbound: Skipped | Rejected) -> None:
        """Record a skipped or rejected message (again: a no-op)."""
        where = inbound.position
        row: tuple[str, str, str, UUID | None, str | None, bytes | None]
        if isinstance(inbound, Skipped):
            header = inbound.header
            row = ("skipped", inbound.kind, inbound.reason, header.message_id, header.type, None)
        else:
            value = inbound.value[:KEPT_BYTES]
            row = ("rejected", inbound.kind, inbound.reason, None, None, value)
        async with self.pool.acquire() as conn:
            await conn.execute(_RECORD_UNAPPLIED, where.topic, where.partition, where.offset, *row)

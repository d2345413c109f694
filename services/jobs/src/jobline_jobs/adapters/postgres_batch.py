"""The batch of ``service_layer.batches`` on PostgreSQL.

One connection, one transaction. Claims go in with one statement, the batch's jobs are
locked in (tenant, id) order with one statement and loaded with another. The handlers
and the unit of work's flush run unchanged, but their row writes are deferred into
per-statement lists (:class:`DeferredWrites`) and sent with one ``executemany`` per
statement at commit, in an order that respects the foreign keys: parties, jobs, line
items, job updates, visits, their history, payments, timeline, outbox. Within each
statement rows keep the order the messages wrote them, so outbox ids still follow the
order of each job's events. A statement the list does not know that reads or writes one
of those tables first sends what is deferred, so it sees the batch's own writes.
"""

import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self, cast
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.communications import PostgresCommunications
from jobline_jobs.adapters.directory import PostgresDirectory
from jobline_jobs.adapters.invoice_renders import (
    PostgresDeliveryStatuses,
    PostgresInvoiceRenders,
)
from jobline_jobs.adapters.invoices import PostgresInvoices
from jobline_jobs.adapters.job_repository import PostgresJobRepository
from jobline_jobs.adapters.outbox import NOTIFY_CHANNEL, OutboxWriter
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.domain import commands
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.batches import Batch, BatchAborted
from jobline_jobs.service_layer.unit_of_work import Causation, UnitOfWork

log = logging.getLogger(__name__)

# Deferred statements, by how they start, in the order they are sent at commit.
_DEFERRED = (
    "INSERT INTO jobs.customers (tenant_id, customer_id)",
    "INSERT INTO jobs.properties (tenant_id, property_id, customer_id)",
    "INSERT INTO jobs.technicians (tenant_id, technician_id)",
    "INSERT INTO jobs.jobs",
    "INSERT INTO jobs.line_items",
    "UPDATE jobs.jobs",
    "INSERT INTO jobs.dispatches",
    "UPDATE jobs.dispatches",
    "INSERT INTO jobs.dispatch_status_history",
    "INSERT INTO jobs.payments",
    "INSERT INTO jobs.timeline",
    "INSERT INTO jobs.outbox",
)
_TOUCHES_DEFERRED = re.compile(
    r"jobs\.(customers|properties|technicians|jobs|line_items|dispatches"
    r"|dispatch_status_history|payments|timeline|outbox)\b"
)
_NOTIFY = "SELECT pg_notify($1, '')"
_SPACES = re.compile(r"\s+")


class DeferredWrites:
    """A connection whose known row writes wait for :meth:`send` (see the module)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: dict[str, tuple[int, list[Sequence[object]]]] = {}
        self._notify = False
        self.statements = 0  # sent to the server, for the curious

    def _rank(self, query: str) -> int | None:
        flat = _SPACES.sub(" ", query).strip()
        return next((n for n, head in enumerate(_DEFERRED) if flat.startswith(head)), None)

    def _defer(self, query: str, rows: Iterable[Sequence[object]]) -> bool:
        if query == _NOTIFY:
            self._notify = True
            return True
        if (pending := self._pending.get(query)) is None:
            if (rank := self._rank(query)) is None:
                return False
            pending = self._pending[query] = (rank, [])
        pending[1].extend(rows)
        return True

    async def _before(self, query: str) -> None:
        if self._pending and _TOUCHES_DEFERRED.search(query):
            await self.send()
        self.statements += 1

    @property
    def raw(self) -> Connection:
        """The connection itself: reads that must not send what is deferred."""
        return self._conn

    def deferred(self, head: str) -> list[Sequence[object]]:
        """The rows deferred so far for the statement starting with ``head``."""
        rank = _DEFERRED.index(head)
        return [row for r, rows in self._pending.values() if r == rank for row in rows]

    async def send(self) -> None:
        """Send every deferred write, statement by statement, in foreign-key order."""
        ordered = sorted(self._pending.items(), key=lambda item: item[1][0])
        self._pending = {}
        for query, (_rank, rows) in ordered:
            self.statements += 1
            await self._conn.executemany(query, rows)

    async def send_notify(self) -> None:
        if self._notify:
            await self._conn.execute(_NOTIFY, NOTIFY_CHANNEL)
            self._notify = False

    async def execute(self, query: str, *args: object) -> str:
        if args and self._defer(query, [args]):
            return ""
        await self._before(query)
        return await self._conn.execute(query, *args)

    async def executemany(self, query: str, args: Iterable[Sequence[object]]) -> None:
        if self._defer(query, args):
            return
        await self._before(query)
        await self._conn.executemany(query, args)

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        await self._before(query)
        return await self._conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: object) -> asyncpg.Record | None:
        await self._before(query)
        return await self._conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: object) -> Any:  # noqa: ANN401 - as asyncpg's
        await self._before(query)
        return await self._conn.fetchval(query, *args)


class BatchJobRepository(PostgresJobRepository):
    """Jobs shared by every message of the batch, locked and loaded up front; ``seen``
    is what the current message touched, so each flush writes only that."""

    def __init__(self, writes: "DeferredWrites") -> None:
        super().__init__(cast(Connection, writes))
        self._writes = writes
        self._absent: set[tuple[str, UUID]] = set()
        self._touched: dict[tuple[str, UUID], Job] = {}

    async def lock_and_load(self, keys: Iterable[tuple[str, UUID]]) -> None:
        wanted = set(keys)
        await self.get_many(wanted)
        self._absent.update(key for key in wanted if key not in self._seen)

    async def get(self, tenant_id: str, job_id: UUID) -> Job | None:
        key = (tenant_id, job_id)
        if key not in self._seen and key in self._absent:
            return None
        job = await super().get(tenant_id, job_id)
        if job is not None:
            self._touched[key] = job
        return job

    def add(self, job: Job) -> None:
        super().add(job)
        self._touched[(job.tenant_id, job.job_id)] = job

    def seen(self) -> list[Job]:
        return list(self._touched.values())

    def next_message(self) -> None:
        self._touched.clear()

    async def has_payment(self, tenant_id: str, payment_id: UUID) -> bool:
        # The batch's own payments are still deferred: look there first, then the table
        # (without sending what is deferred, which is what this read would trigger).
        writes = self._writes
        if any(row[:2] == (tenant_id, payment_id) for row in writes.deferred(_PAYMENTS)):
            return True
        return await writes.raw.fetchval(_HAS_PAYMENT, tenant_id, payment_id) is not None


class CachedDirectory(PostgresDirectory):
    """Tenants are looked up once per batch."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self._tenants: dict[str, bool] = {}

    async def look_up_tenants(self, tenant_ids: set[str]) -> None:
        found = await self._conn.fetch(
            "SELECT tenant_id FROM jobs.tenants WHERE tenant_id = ANY($1::text[])",
            list(tenant_ids),
        )
        self._tenants = dict.fromkeys(tenant_ids, False) | {r["tenant_id"]: True for r in found}

    async def tenant_exists(self, tenant_id: str) -> bool:
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = await super().tenant_exists(tenant_id)
        return self._tenants[tenant_id]


class PostgresBatch(Batch):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._claimed: set[UUID] = set()

    async def __aenter__(self) -> Self:
        self._conn: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._tx: Transaction | None = self._conn.transaction()
        await self._tx.start()
        self.writes = DeferredWrites(self._conn)
        conn = cast(Connection, self.writes)  # the subset of a connection adapters use
        self.jobs = BatchJobRepository(self.writes)
        self.directory = CachedDirectory(conn)
        self.communications = PostgresCommunications(conn)
        self.invoices = PostgresInvoices(conn)
        self.invoice_renders = PostgresInvoiceRenders(conn)
        self.deliveries = PostgresDeliveryStatuses(conn)
        self.outbox = OutboxWriter(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None:
                await self._tx.rollback()
        finally:
            await self._pool.release(self._conn)

    async def prepare(self, items: Sequence[tuple[commands.Command, Causation]]) -> None:
        consumers = {causation.consumer for _, causation in items}
        for consumer in consumers:
            claimed = await self._conn.fetch(
                """INSERT INTO jobs.processed_messages (consumer, message_id)
                   SELECT $1, m FROM unnest($2::uuid[]) AS m
                   ON CONFLICT DO NOTHING RETURNING message_id""",
                consumer,
                [c.message_id for _, c in items if c.consumer == consumer],
            )
            self._claimed.update(row["message_id"] for row in claimed)
        await self.directory.look_up_tenants({command.tenant_id for command, _ in items})
        await self.jobs.lock_and_load(
            (command.tenant_id, command.job_id)
            for command, _ in items
            if isinstance(command, commands.JobCommand | commands.DispatchJob)
        )

    def claim(self, message_id: UUID) -> bool:
        if message_id in self._claimed:
            self._claimed.discard(message_id)  # a second copy in the batch is a duplicate
            return True
        return False

    def unit_of_work(self, causation: Causation) -> UnitOfWork:
        self.jobs.next_message()
        return BatchUnitOfWork(self, causation)

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside the batch"  # noqa: S101
        await self.writes.send()
        await self.writes.send_notify()
        await self._tx.commit()
        self._tx = None


class BatchUnitOfWork(PostgresUnitOfWork):
    """One message's unit of work inside a :class:`PostgresBatch`: no transaction, no
    savepoint of its own (any failure aborts the batch), the batch's shared adapters."""

    def __init__(self, batch: PostgresBatch, causation: Causation) -> None:
        self._batch = batch
        self.causation = causation

    async def __aenter__(self) -> Self:
        batch = self._batch
        conn = cast("PoolConnectionProxy[Any]", batch.writes)
        self._conn, self._tx = conn, None
        self.jobs = self._repo = batch.jobs
        self.directory = batch.directory
        self.communications = batch.communications
        self.invoices = batch.invoices
        self.invoice_renders = batch.invoice_renders
        self.deliveries = batch.deliveries
        self._outbox = batch.outbox
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """The batch owns the transaction."""

    async def claim(self) -> bool:
        return self._batch.claim(self.causation.message_id)

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        yield
        await self._flush()

    async def record_rejection(
        self,
        tenant_id: str,  # noqa: ARG002 - the per-message path records it
        job_id: UUID | None,  # noqa: ARG002
        kind: str,
        reason: str,
    ) -> None:
        raise BatchAborted(f"{self.causation.message_id} refused ({kind}): {reason}")

    async def commit(self) -> None:
        """At the batch's commit."""

    async def rollback(self) -> None:
        """With the batch."""


_PAYMENTS = "INSERT INTO jobs.payments"
_HAS_PAYMENT = "SELECT 1 FROM jobs.payments WHERE tenant_id = $1 AND payment_id = $2"

"""The unit of work on PostgreSQL: claim, state, timeline and outbox in one transaction.

Handlers change aggregates; when a handler is done, :meth:`PostgresUnitOfWork._stage`
turns what they changed into typed rows for the transaction's :class:`RowWriter`: each
changed aggregate's own rows (from its repository), and per event what ``wire`` maps it
to, a timeline entry and outbox messages stamped by the cause's :class:`CausedMessages`;
the jobs it changed go to the session's ``JobStates``, whose snapshots are written once
per job at commit.
It is the only writer of the timeline and the outbox. A message on its own sends the
rows at once, inside its savepoint; a message in a batch (``postgres_batch``) leaves
them for the batch's commit.
"""

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from jobline_infra.postgres import Connection
from jobline_jobs.adapters import idempotency, wire
from jobline_jobs.adapters.commission_ledger import PostgresCommissionLedger
from jobline_jobs.adapters.communications import PostgresCommunications
from jobline_jobs.adapters.directory import PostgresDirectory
from jobline_jobs.adapters.invoice_renders import (
    PostgresDeliveryStatuses,
    PostgresInvoiceRenders,
)
from jobline_jobs.adapters.invoices import PostgresInvoices
from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.job_repository import PostgresJobRepository
from jobline_jobs.adapters.job_states import JobStates
from jobline_jobs.adapters.outbox import CausedMessages, dead_letter_row
from jobline_jobs.adapters.replies import PostgresReplies
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.rows import TimelineEntry
from jobline_jobs.adapters.snapshot_sources import SnapshotReads
from jobline_jobs.adapters.templates import PostgresTemplates
from jobline_jobs.adapters.tenant_settings import PostgresTenantSettings
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.errors import Conflict
from jobline_jobs.domain.events import Event
from jobline_jobs.service_layer.unit_of_work import Causation, KeyClaim, UnitOfWork


class Session:
    """One transaction's connection, row writer and adapters; a batch's messages share
    one, a message on its own has its own."""

    def __init__(self, conn: Connection, jobs_cache: JobCache | None = None) -> None:
        self.conn = conn
        self.rows = RowWriter(conn)
        self.jobs = PostgresJobRepository(conn, self.rows, jobs_cache)
        self.directory = PostgresDirectory(conn, self.rows)
        reads = SnapshotReads(conn, self.rows, self.jobs, self.directory)
        self.invoices = PostgresInvoices(conn, self.rows, reads)
        self.communications = PostgresCommunications(conn, self.rows)
        self.deliveries = PostgresDeliveryStatuses(conn, self.rows)
        self.invoice_renders = PostgresInvoiceRenders(conn, self.rows)
        self.commissions = PostgresCommissionLedger(conn, self.rows)
        self.replies = PostgresReplies(conn, self.rows)  # issue 20
        # The repositories of aggregates other than jobs, in the order they are saved.
        self.stores: tuple[Tracking[Any], ...] = (
            self.invoices,
            self.communications,
            self.deliveries,
            self.invoice_renders,
            self.commissions,
            self.replies,  # issue 20
        )
        self.tenant_settings = PostgresTenantSettings(conn)
        self.templates = PostgresTemplates(conn)  # issue 18
        self.states = JobStates(conn, self.rows)  # issue 19: jobs.state.v1, at commit


class PostgresUnitOfWork(UnitOfWork):
    """One message in its own transaction."""

    jobs: PostgresJobRepository
    directory: PostgresDirectory
    communications: PostgresCommunications
    invoices: PostgresInvoices
    invoice_renders: PostgresInvoiceRenders
    deliveries: PostgresDeliveryStatuses
    tenant_settings: PostgresTenantSettings
    templates: PostgresTemplates
    commissions: PostgresCommissionLedger
    replies: PostgresReplies  # issue 20

    def __init__(self, pool: asyncpg.Pool, causation: Causation) -> None:
        self._pool = pool
        self.causation = causation

    async def __aenter__(self) -> Self:
        self._conn: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._tx: Transaction | None = self._conn.transaction()
        await self._tx.start()
        self._bind(Session(self._conn))
        return self

    def _bind(self, session: Session) -> None:
        self._session, self._rows = session, session.rows
        self.jobs, self.directory = session.jobs, session.directory
        self.communications, self.invoices = session.communications, session.invoices
        self.invoice_renders, self.deliveries = session.invoice_renders, session.deliveries
        self.commissions = session.commissions
        self._messages = CausedMessages(self.causation)
        self.tenant_settings = session.tenant_settings
        self.templates = session.templates
        self.replies = session.replies  # issue 20

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self._pool.release(self._conn)

    async def claim(self) -> bool:
        claimed = await self._session.conn.fetchval(
            """INSERT INTO jobs.processed_messages (consumer, message_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            self.causation.consumer,
            self.causation.message_id,
        )
        return bool(claimed)

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        savepoint = self._session.conn.transaction()  # nested: a SAVEPOINT
        await savepoint.start()
        try:
            yield
            self._stage()
            await self._rows.send()
        except asyncpg.UniqueViolationError as clash:
            await self._undo(savepoint)
            raise Conflict(f"already recorded: {clash.detail or clash}") from clash
        except BaseException:
            await self._undo(savepoint)
            raise
        await savepoint.commit()

    async def _undo(self, savepoint: Transaction) -> None:
        await savepoint.rollback()
        self.jobs.forget()
        for store in self._session.stores:
            store.forget()
        self._rows.discard()

    def _stage(self) -> None:
        """Rows for what the handler changed: each touched job's own (and its events'),
        then each other changed aggregate's, each followed by its events' timeline
        entries and outbox messages, in event order."""
        states = self._session.states
        for job in self.jobs.take_touched():
            self.jobs.save(job, self.causation)
            states.touch(job.tenant_id, job.job_id, self._messages)
            self._written(job.tenant_id, job.events)
            job.events.clear()
        for store in self._session.stores:
            for aggregate in store.changed():
                store.save(aggregate)
                self._written(aggregate.tenant_id, aggregate.events)
                aggregate.events.clear()
        for tenant_id, kind, party_id in self.directory.take_upserted():
            states.touch_party(tenant_id, kind, party_id, self._messages)

    def _written(self, tenant_id: str, events: Iterable[Event]) -> None:
        """Each event's timeline entry (if it has one) and outbox messages, by ``wire``."""
        add, touch = self._rows.add, self._session.states.touch
        for event in events:
            touch(tenant_id, event.job_id, self._messages)
            entry, messages = wire.written(event, tenant_id, self._messages)
            if entry is not None:
                add(self._timeline(tenant_id, event.job_id, entry.type, entry.details, at=entry.at))
            self._rows.extend(messages)

    def _timeline(
        self,
        tenant_id: str,
        job_id: UUID,
        type_: str,
        details: str,
        *,
        at: datetime | None = None,
        kind: str = "event",
    ) -> TimelineEntry:
        """A timeline row, by default at the time of the message being handled."""
        why = self.causation
        return TimelineEntry(
            tenant_id,
            job_id,
            at or why.occurred_at,
            kind,
            type_,
            why.message_type,
            why.actor,
            details,
            why.message_id,
        )

    async def record_rejection(
        self, tenant_id: str, job_id: UUID | None, kind: str, reason: str
    ) -> None:
        await self._session.conn.execute(
            "UPDATE jobs.processed_messages SET outcome = 'rejected'"
            " WHERE consumer = $1 AND message_id = $2",
            self.causation.consumer,
            self.causation.message_id,
        )
        if job_id is not None and await self._job_exists(tenant_id, job_id):
            details = json.dumps({"reason": reason})
            self._rows.add(self._timeline(tenant_id, job_id, kind, details, kind="rejected"))
        if self.causation.source is not None:
            self._rows.add(
                dead_letter_row(self.causation.source, self.causation.consumer, kind, reason)
            )
        await self._rows.send()

    async def mark_applied(self, claim: KeyClaim) -> None:
        await idempotency.mark_applied(self._session.conn, claim)

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside the unit of work"  # noqa: S101
        await self._session.states.write()
        await self._tx.commit()
        self._tx = None

    async def rollback(self) -> None:
        if self._tx is not None:
            await self._tx.rollback()
            self._tx = None

    async def _job_exists(self, tenant_id: str, job_id: UUID) -> bool:
        found = await self._session.conn.fetchval(
            "SELECT 1 FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
        )
        return found is not None

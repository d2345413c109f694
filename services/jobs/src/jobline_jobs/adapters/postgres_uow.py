"""The unit of work on PostgreSQL: claim, state, timeline and outbox in one transaction."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from jobline_jobs.adapters import idempotency, wire
from jobline_jobs.adapters.communications import PostgresCommunications
from jobline_jobs.adapters.directory import PostgresDirectory
from jobline_jobs.adapters.invoice_renders import (
    PostgresDeliveryStatuses,
    PostgresInvoiceRenders,
)
from jobline_jobs.adapters.invoices import PostgresInvoices
from jobline_jobs.adapters.job_repository import PostgresJobRepository
from jobline_jobs.adapters.outbox import OutboxWriter
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain import events
from jobline_jobs.domain.errors import Conflict
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.unit_of_work import Causation, KeyClaim, UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    """The only writer of the timeline and the outbox: each event any aggregate recorded
    becomes one timeline row (when it has one) and its outbox rows, both from ``wire``."""

    communications: PostgresCommunications
    invoices: PostgresInvoices
    invoice_renders: PostgresInvoiceRenders
    deliveries: PostgresDeliveryStatuses

    def __init__(self, pool: asyncpg.Pool, causation: Causation) -> None:
        self._pool = pool
        self.causation = causation

    async def __aenter__(self) -> Self:
        self._conn: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._tx: Transaction | None = self._conn.transaction()
        await self._tx.start()
        self.jobs = self._repo = PostgresJobRepository(self._conn)
        self.directory = PostgresDirectory(self._conn)
        self.communications = PostgresCommunications(self._conn)
        self.invoices = PostgresInvoices(self._conn)
        self.invoice_renders = PostgresInvoiceRenders(self._conn)
        self.deliveries = PostgresDeliveryStatuses(self._conn)
        self._outbox = OutboxWriter(self._conn)
        return self

    def _stores(self) -> "tuple[Tracking[Any], ...]":
        """The repositories of aggregates other than jobs, in the order they are saved."""
        return (self.invoices, self.communications, self.deliveries, self.invoice_renders)

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
        claimed = await self._conn.fetchval(
            """INSERT INTO jobs.processed_messages (consumer, message_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            self.causation.consumer,
            self.causation.message_id,
        )
        return bool(claimed)

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        savepoint = self._conn.transaction()  # nested: a SAVEPOINT
        await savepoint.start()
        try:
            yield
            await self._flush()
        except asyncpg.UniqueViolationError as clash:
            await self._undo(savepoint)
            raise Conflict(f"already recorded: {clash.detail or clash}") from clash
        except BaseException:
            await self._undo(savepoint)
            raise
        await savepoint.commit()

    async def _undo(self, savepoint: Transaction) -> None:
        await savepoint.rollback()
        self._repo.forget()
        for store in self._stores():
            store.forget()
        self._outbox.discard()

    async def record_rejection(
        self, tenant_id: str, job_id: UUID | None, kind: str, reason: str
    ) -> None:
        await self._conn.execute(
            "UPDATE jobs.processed_messages SET outcome = 'rejected'"
            " WHERE consumer = $1 AND message_id = $2",
            self.causation.consumer,
            self.causation.message_id,
        )
        if job_id is not None and await self._job_exists(tenant_id, job_id):
            await self._timeline(tenant_id, job_id, "rejected", kind, {"reason": reason})
        if self.causation.source is not None:
            self._outbox.add_dead_letter(
                self.causation.source, self.causation.consumer, kind, reason
            )
        await self._outbox.flush()

    async def mark_applied(self, claim: KeyClaim) -> None:
        await idempotency.mark_applied(self._conn, claim)

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside the unit of work"  # noqa: S101
        await self._tx.commit()
        self._tx = None

    async def rollback(self) -> None:
        if self._tx is not None:
            await self._tx.rollback()
            self._tx = None

    async def _flush(self) -> None:
        for job in self._repo.seen():
            if not job.events and (job.tenant_id, job.job_id) not in self._repo.new:
                continue
            await self._repo.save(job)
            for event in job.events:
                await self._persist_side_rows(job, event)
                await self._write(job.tenant_id, event)
            job.events.clear()
        self._repo.new.clear()
        for store in self._stores():
            for aggregate in store.seen():
                if aggregate.events:
                    await store.save(aggregate)
                    for event in aggregate.events:
                        await self._write(aggregate.tenant_id, event)
                    aggregate.events.clear()
        await self._outbox.flush()

    async def _write(self, tenant_id: str, event: events.Event) -> None:
        """The event's timeline row and outbox messages."""
        entry, rows = wire.written(event, tenant_id, self.causation)
        if entry is not None:
            await self._timeline(
                tenant_id, event.job_id, "event", entry.type, entry.details, at=entry.at
            )
        self._outbox.add(rows)

    async def _persist_side_rows(self, job: Job, event: events.Event) -> None:
        """Rows that follow from an event: visits, their history, payments."""
        at = self.causation.occurred_at
        match event:
            case events.DispatchAssigned():
                await self._conn.execute(
                    """INSERT INTO jobs.dispatches (tenant_id, dispatch_id, job_id,
                           technician_id, window_start, window_end, status)
                       VALUES ($1, $2, $3, $4, $5, $6, 'scheduled')""",
                    job.tenant_id,
                    event.dispatch_id,
                    job.job_id,
                    event.technician_id,
                    event.window_start,
                    event.window_end,
                )
                await self._dispatch_history(job.tenant_id, event.dispatch_id, "scheduled")
            case events.DispatchStatusChanged():
                await self._conn.execute(
                    "UPDATE jobs.dispatches SET status = $3"
                    " WHERE tenant_id = $1 AND dispatch_id = $2",
                    job.tenant_id,
                    event.dispatch_id,
                    event.to_status.value,
                )
                await self._dispatch_history(
                    job.tenant_id, event.dispatch_id, event.to_status.value
                )
            case events.PaymentRecorded():
                await self._conn.execute(
                    """INSERT INTO jobs.payments (tenant_id, payment_id, job_id, amount, method,
                           recorded_at) VALUES ($1, $2, $3, $4, $5, $6)""",
                    job.tenant_id,
                    event.payment_id,
                    job.job_id,
                    event.amount,
                    event.method,
                    at,
                )
            case events.RecallLinked():
                await self._conn.execute(
                    """INSERT INTO jobs.recall_links (tenant_id, recall_job_id, original_job_id,
                           reason, linked_at, linked_by) VALUES ($1, $2, $3, $4, $5, $6)""",
                    job.tenant_id,
                    job.job_id,
                    event.original_job_id,
                    event.reason,
                    at,
                    self.causation.actor,
                )
            case events.ChargebackRecorded():
                await self._conn.execute(
                    """INSERT INTO jobs.chargebacks (tenant_id, chargeback_id, recall_job_id,
                           original_job_id, technician_id, fixing_technician_id, normal_charge,
                           policy_percent, earned_commission, amount, recorded_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                    job.tenant_id,
                    event.chargeback_id,
                    event.recall_job_id,
                    job.job_id,
                    event.technician_id,
                    event.fixing_technician_id,
                    event.normal_charge,
                    event.policy_percent,
                    event.earned_commission,
                    event.amount,
                    at,
                )
            case _:
                pass

    async def _dispatch_history(self, tenant_id: str, dispatch_id: UUID, status: str) -> None:
        await self._conn.execute(
            """INSERT INTO jobs.dispatch_status_history (tenant_id, dispatch_id, status, at,
                   message_id) VALUES ($1, $2, $3, $4, $5)""",
            tenant_id,
            dispatch_id,
            status,
            self.causation.occurred_at,
            self.causation.message_id,
        )

    async def _timeline(
        self,
        tenant_id: str,
        job_id: UUID,
        kind: str,
        type_: str,
        details: dict[str, object],
        *,
        at: datetime | None = None,
    ) -> None:
        """The one writer of timeline rows (by default, at the time of the message)."""
        await self._conn.execute(
            """INSERT INTO jobs.timeline (tenant_id, job_id, at, kind, type, cause, actor,
                   details, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            tenant_id,
            job_id,
            at or self.causation.occurred_at,
            kind,
            type_,
            self.causation.message_type,
            self.causation.actor,
            json.dumps(details),
            self.causation.message_id,
        )

    async def _job_exists(self, tenant_id: str, job_id: UUID) -> bool:
        found = await self._conn.fetchval(
            "SELECT 1 FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
        )
        return found is not None

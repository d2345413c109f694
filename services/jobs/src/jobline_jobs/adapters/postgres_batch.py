"""The batch of ``service_layer.batches`` on PostgreSQL.

One connection, one transaction, one :class:`Session` shared by the batch's messages.
Claims go in with one statement, the batch's jobs are locked in (tenant, id) order with
one statement and loaded with another (only those the consumer's ``JobCache`` does not
keep at the version just locked), its tenants and the payments it names are looked
up once each. Every message then runs through the same unit-of-work code as a message on
its own (:class:`MessageInBatch` is a :class:`PostgresUnitOfWork` bound to the batch's
session), which stages its rows in the session's :class:`RowWriter`; the writer sends
them once, at commit, one statement per kind in foreign-key order.

Reads that must see the batch's own writes get typed answers, not SQL: jobs and payments
from the repository's memory, properties from the pending placeholders, what an invoice
snapshot prints from the aggregate and what was read ahead (``snapshot_sources``); the
recall walk sends what is pending before it reads.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork, Session
from jobline_jobs.domain import commands
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.batches import Batch, BatchAborted, BatchConflict
from jobline_jobs.service_layer.unit_of_work import Causation, KeyClaim, UnitOfWork


class PostgresBatch(Batch):
    """``cache``: jobs kept between the batches of one consumer (``job_cache``)."""

    def __init__(self, pool: asyncpg.Pool, cache: JobCache | None = None) -> None:
        self._pool, self._cache = pool, cache
        self._claimed: set[int] = set()  # message ids as ints: UUID's hash is Python

    async def __aenter__(self) -> Self:
        self._conn: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._tx: Transaction | None = self._conn.transaction()
        await self._tx.start()
        self.session = Session(self._conn, self._cache)
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
        for consumer in {causation.consumer for _, causation in items}:
            claimed = await self._conn.fetch(
                """INSERT INTO jobs.processed_messages (consumer, message_id)
                   SELECT $1, m FROM unnest($2::uuid[]) AS m
                   ON CONFLICT DO NOTHING RETURNING message_id""",
                consumer,
                [c.message_id for _, c in items if c.consumer == consumer],
            )
            self._claimed.update(row["message_id"].int for row in claimed)
        session = self.session
        await session.directory.look_up_tenants({command.tenant_id for command, _ in items})
        jobs = await session.jobs.get_many(
            (command.tenant_id, job_id) for command, _ in items for job_id in _jobs_of(command)
        )
        await session.invoices.look_up(
            (command.tenant_id, job_id) for command, _ in items for job_id in _jobs_of(command)
        )
        await session.invoices.look_up_sources(
            _snapshotted(items, jobs),
            {(c.tenant_id, c.job_id) for c, _ in items if isinstance(c, commands.IssueInvoice)},
        )
        await _look_up_commission_terms(session, items, jobs)
        await session.jobs.look_up_payments(
            (command.tenant_id, command.payment_id)
            for command, _ in items
            if isinstance(command, commands.RecordPayment)
        )

    def claim(self, message_id: UUID) -> bool:
        if message_id.int in self._claimed:
            self._claimed.discard(message_id.int)  # a second copy in the batch is a duplicate
            return True
        return False

    def unit_of_work(self, causation: Causation) -> UnitOfWork:
        return MessageInBatch(self, causation)

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside the batch"  # noqa: S101
        try:
            await self.session.rows.send()
            await self.session.states.write()  # once per job of the whole batch
        except asyncpg.UniqueViolationError as clash:
            raise BatchConflict(f"already recorded: {clash.detail or clash}") from clash
        await self._tx.commit()
        self._tx = None
        self.session.jobs.keep_committed()


async def _look_up_commission_terms(
    session: Session,
    items: Sequence[tuple[commands.Command, Causation]],
    jobs: list[Job],
) -> None:
    """What the batch's completions earn on: their jobs' ledgers (none for jobs not in
    the table yet) and their crews' rates, one statement each, and only when the batch
    completes work (the split rules came with the tenants)."""
    completing = {(c.tenant_id, c.job_id) for c, _ in items if isinstance(c, commands.CompleteWork)}
    if not completing:
        return
    present = [job for job in jobs if (job.tenant_id, job.job_id) in completing]
    absent = completing - {(job.tenant_id, job.job_id) for job in present}
    await session.commissions.look_up(present, absent)
    crews = {(j.tenant_id, v.technician_id) for j in present for v in j.dispatches.values()}
    crews |= {(j.tenant_id, j.technician_id) for j in present}
    for command, _ in items:  # the crews of jobs dispatched in this very batch
        if isinstance(command, commands.DispatchJob):
            crews.add((command.tenant_id, command.technician_id))
            crews.add((command.tenant_id, command.first_visit.technician_id))
        elif isinstance(command, commands.AssignDispatch):
            crews.add((command.tenant_id, command.visit.technician_id))
    await session.directory.look_up_rates(crews)


# The commands whose handlers issue or revise the job's invoice (``book_handlers``).
_SNAPSHOTTING = (
    commands.IssueInvoice,
    commands.RecordPayment,
    commands.ChangeLines,
    commands.RefundPayment,
)


def _snapshotted(items: Sequence[tuple[commands.Command, Causation]], jobs: list[Job]) -> list[Job]:
    """The loaded jobs whose invoice snapshot a message of the batch may freeze."""
    named = {(c.tenant_id, c.job_id) for c, _ in items if isinstance(c, _SNAPSHOTTING)}
    return [job for job in jobs if (job.tenant_id, job.job_id) in named]


def _jobs_of(command: commands.Command) -> tuple[UUID, ...]:
    """The jobs a command's handler loads."""
    match command:
        case commands.LinkRecall():
            return (command.job_id, command.original_job_id)
        case commands.JobCommand() | commands.DispatchJob():
            return (command.job_id,)
        case commands.AddDocument() if command.job_id is not None:
            return (command.job_id,)
    return ()


class MessageInBatch(PostgresUnitOfWork):
    """One message's unit of work inside a :class:`PostgresBatch`: the batch's session
    and claims; no transaction or savepoint of its own, since any refusal or failure
    aborts the whole batch (which the caller then applies message by message)."""

    def __init__(self, batch: PostgresBatch, causation: Causation) -> None:
        self._batch = batch
        self.causation = causation

    async def __aenter__(self) -> Self:
        self._bind(self._batch.session)
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
        self._stage()

    async def record_rejection(
        self,
        tenant_id: str,  # noqa: ARG002 - the per-message path records it
        job_id: UUID | None,  # noqa: ARG002
        kind: str,
        reason: str,
    ) -> None:
        raise BatchAborted(f"{self.causation.message_id} refused ({kind}): {reason}")

    async def mark_applied(self, claim: KeyClaim) -> None:
        raise NotImplementedError("operators' commands are not batched")

    async def commit(self) -> None:
        """At the batch's commit."""

    async def rollback(self) -> None:
        """With the batch."""

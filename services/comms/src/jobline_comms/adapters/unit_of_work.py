"""The units of work on PostgreSQL: the only code that writes deliveries' changes and
the outbox (:mod:`jobline_comms.adapters.outbox` maps the events).

A delivery's change is written only over a stored status it may follow
(:data:`GUARDED_WRITE`); the events of a delivery not written (it had moved on) are
dropped with it, in the same statement.
"""

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import asyncpg
from asyncpg.transaction import Transaction

from jobline_comms.adapters.attempts import PostgresDeliveries
from jobline_comms.adapters.batching import Batcher, each_alone
from jobline_comms.adapters.delivery_rows import GUARDED_WRITE, change_rounds, guarded_args
from jobline_comms.adapters.engagements import PostgresEngagements
from jobline_comms.adapters.intake import PostgresIntake
from jobline_comms.adapters.opt_outs import PostgresOptOutBook
from jobline_comms.adapters.outbox import ADD_ROWS, Caused, Guarded, outbox_args
from jobline_comms.domain.commands import Causation
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.events import Event
from jobline_comms.service_layer.unit_of_work import Changes, UnitOfWork
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection

Saved = tuple[Delivery, str | None]  # a delivery and the trace of the call that changed it


# A unit of work's changes and their outbox rows: one statement per round.
_CHANGES = f"""WITH {GUARDED_WRITE}, {ADD_ROWS}
SELECT delivery_id FROM written UNION ALL SELECT NULL FROM notified"""  # noqa: S608 - fixed


async def write_changes(
    conn: Connection, saved: Sequence[Saved], recorded: Sequence[Caused], consumer: str
) -> list[bool]:
    """The deliveries' changes, the events of those written and ``recorded``: one
    statement (no BEGIN and COMMIT around it when it is alone), or one per round when
    a delivery comes twice, in a transaction."""
    deliveries = [d for d, _ in saved]
    rounds = change_rounds(deliveries) or [[]]
    round_of = {i: r for r, positions in enumerate(rounds) for i in positions}
    # An unchanged delivery's events (a redelivery's republish) need no write.
    events: list[list[Guarded]] = [[] for _ in rounds]
    for i, (delivery, traceparent) in enumerate(saved):
        needs = delivery.delivery_id if i in round_of else None
        events[round_of.get(i, 0)] += [
            (needs, (event, delivery.causation, traceparent)) for event in delivery.events
        ]
    events[-1] += [(None, caused) for caused in recorded]
    if len(rounds) > 1 and not conn.is_in_transaction():
        async with conn.transaction():
            return await _write_rounds(conn, deliveries, rounds, events, consumer)
    return await _write_rounds(conn, deliveries, rounds, events, consumer)


async def _write_rounds(
    conn: Connection,
    deliveries: Sequence[Delivery],
    rounds: Sequence[Sequence[int]],
    events: Sequence[Sequence[Guarded]],
    consumer: str,
) -> list[bool]:
    written = [not d.changed for d in deliveries]
    for positions, round_events in zip(rounds, events, strict=True):
        if not positions and not round_events:
            continue  # nothing changed, nothing happened: no statement
        batch = [deliveries[i] for i in positions]
        rows = await conn.fetch(
            _CHANGES,
            *guarded_args(batch),
            *await outbox_args(conn, round_events, consumer),
        )
        found = {r["delivery_id"] for r in rows}
        for i, delivery in zip(positions, batch, strict=True):
            written[i] = delivery.delivery_id in found
    return written


def _stored(saved: Sequence[Saved], written: Sequence[bool]) -> None:
    """After the commit: what was written is the stored copy now."""
    for (delivery, _), ok in zip(saved, written, strict=True):
        if ok:
            delivery.stored()


class PostgresUnitOfWork(UnitOfWork):
    """One transaction on a connection of ``pool``."""

    def __init__(self, pool: "asyncpg.Pool[Any]", *, consumer: str, claim_timeout: float) -> None:
        self._pool, self._consumer, self._claim_timeout = pool, consumer, claim_timeout
        self._transaction: Transaction | None = None
        self._saved: list[Saved] = []
        self._recorded: list[Caused] = []

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        try:
            self._transaction = transaction = self._conn.transaction()
            await transaction.start()
        except BaseException:
            await self._pool.release(self._conn)
            raise
        self.intake = PostgresIntake(self._conn, self._consumer, self._claim_timeout)
        self.deliveries = PostgresDeliveries(self._conn, self._claim_timeout)
        self.opt_outs = PostgresOptOutBook(self._conn)
        self.engagements = PostgresEngagements(self._conn)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None:
                await self._transaction.rollback()
        finally:
            await self._pool.release(self._conn)

    def save(self, delivery: Delivery) -> None:
        self._saved.append((delivery, current_traceparent()))

    def record(self, event: Event, causation: Causation) -> None:
        self._recorded.append((event, causation, current_traceparent()))

    async def commit(self) -> None:
        assert self._transaction is not None, "committed once"  # noqa: S101
        written = await write_changes(self._conn, self._saved, self._recorded, self._consumer)
        await self._transaction.commit()
        self._transaction = None
        _stored(self._saved, written)


class BatchedChanges(Changes):
    """Single deliveries' changes saved at the same moment by the attempts in flight,
    committed in one unit of work (:class:`Batcher`), each caller awaiting its own
    answer. A batch the database refuses is retried one change per transaction, so one
    change's failure is that change's answer alone."""

    def __init__(self, pool: "asyncpg.Pool[Any]", *, consumer: str) -> None:
        self._pool, self._consumer = pool, consumer
        self._batcher = Batcher(self._batch)

    async def save(self, delivery: Delivery) -> bool:
        # The events name the attempt that caused them; the batch runs in no caller's span.
        return await self._batcher((delivery, current_traceparent()))

    async def _batch(self, batch: Sequence[Saved]) -> list[bool | Exception]:
        try:
            return await self._together(batch)
        except asyncpg.PostgresError:
            if len(batch) == 1:
                raise
            return await each_alone(batch, self._together)

    async def _together(self, batch: Sequence[Saved]) -> list[bool | Exception]:
        async with self._pool.acquire() as conn:
            written = await write_changes(conn, batch, (), self._consumer)
        _stored(batch, written)
        return list(written)

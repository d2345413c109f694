"""What a repository of the unit of work shares: the aggregates it saw, saved as typed
rows for the transaction's writer."""

from abc import ABC, abstractmethod
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.domain.events import Event


class Aggregate(Protocol):
    tenant_id: str
    events: list[Event]


A = TypeVar("A", bound=Aggregate)


class Tracking(ABC, Generic[A]):
    """Aggregates added or loaded in this unit of work; the unit of work saves each one
    that recorded events, then writes the events (timeline and outbox)."""

    def __init__(self, conn: Connection, writer: RowWriter) -> None:
        self._conn = conn
        self._writer = writer
        self._tracked: dict[tuple[str, UUID], A] = {}

    def _track(self, key: tuple[str, UUID], aggregate: A) -> A:
        return self._tracked.setdefault(key, aggregate)

    async def _send_pending(self) -> None:
        """Before a read that must see this transaction's writes: send the rows still
        pending (of earlier messages in a batch; a message on its own has none)."""
        await self._writer.send()

    def seen(self) -> list[A]:
        return list(self._tracked.values())

    def changed(self) -> list[A]:
        """The aggregates that recorded events since they were last saved."""
        return [aggregate for aggregate in self._tracked.values() if aggregate.events]

    def forget(self) -> None:
        """Drop what is tracked (after a savepoint rollback its state is stale)."""
        self._tracked.clear()

    @abstractmethod
    def save(self, aggregate: A) -> None:
        """The aggregate's rows to the writer (its events are written by the unit of
        work)."""

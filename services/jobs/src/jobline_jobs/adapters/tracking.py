"""What a repository of the unit of work shares: the aggregates it saw, saved on flush."""

from abc import ABC, abstractmethod
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from jobline_jobs.domain.events import Event


class Aggregate(Protocol):
    tenant_id: str
    events: list[Event]


A = TypeVar("A", bound=Aggregate)


class Tracking(ABC, Generic[A]):
    """Aggregates added or loaded in this unit of work; the unit of work saves each one
    that recorded events, then writes the events (timeline and outbox)."""

    def __init__(self) -> None:
        self._tracked: dict[tuple[str, UUID], A] = {}

    def _track(self, key: tuple[str, UUID], aggregate: A) -> A:
        return self._tracked.setdefault(key, aggregate)

    def seen(self) -> list[A]:
        return list(self._tracked.values())

    def forget(self) -> None:
        """Drop what is tracked (after a savepoint rollback its state is stale)."""
        self._tracked.clear()

    @abstractmethod
    async def save(self, aggregate: A) -> None:
        """Write the aggregate's rows (its events are written by the unit of work)."""

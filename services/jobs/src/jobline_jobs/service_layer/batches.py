"""Many messages in one transaction: the fast path for a busy topic.

A batch claims its messages in one statement, locks and loads their jobs up front, runs
each message through the ordinary handlers and unit-of-work code, and writes what they
changed in bulk at commit. It only takes the happy path: a refusal or any error aborts
the whole batch, and the caller then applies the messages one by one (each in its own
transaction, with its retries and dead letters), so a bad message never costs the good
ones their effect.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from jobline_jobs.domain import commands
from jobline_jobs.service_layer.handlers import HANDLERS, Handler
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation, UnitOfWork


class BatchAborted(Exception):
    """The batch met something it leaves to the one-message-at-a-time path: here, a
    message the handlers refused."""

    reason = "refused"


class BatchConflict(BatchAborted):
    """A row the batch wrote clashed with one already recorded."""

    reason = "conflict"


class Batch(ABC):
    """One transaction for a sequence of messages (see the module's docstring)."""

    async def __aenter__(self) -> Self:
        return self

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed."""

    @abstractmethod
    async def prepare(self, items: Sequence[tuple[commands.Command, Causation]]) -> None:
        """Claim the messages and lock the jobs they name, in one go each."""

    @abstractmethod
    def unit_of_work(self, causation: Causation) -> UnitOfWork:
        """The unit of work of one message, inside the batch's transaction."""

    @abstractmethod
    async def commit(self) -> None:
        """Write everything the messages changed, then commit."""


BatchFactory = Callable[[], Batch]


async def handle_batch(
    batch_factory: BatchFactory,
    items: Sequence[tuple[commands.Command, Causation]],
    handlers: dict[type[commands.Command], Handler] = HANDLERS,
) -> list[Outcome]:
    """Apply ``items`` in order in one transaction; raises (and changes nothing) if any
    of them is refused or fails."""
    async with batch_factory() as batch:
        await batch.prepare(items)
        bus = MessageBus(batch.unit_of_work, handlers)
        outcomes = [await bus.handle(command, causation) for command, causation in items]
        if Outcome.REJECTED in outcomes:  # (refusals raise BatchAborted; belt and braces)
            raise BatchAborted("a message was refused")
        await batch.commit()
    return outcomes

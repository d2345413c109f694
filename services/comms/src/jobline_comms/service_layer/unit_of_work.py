"""Units of work: the only writers of deliveries' changes and of the outbox.

A unit of work is one transaction. Handlers load deliveries through its repositories,
call the :class:`Delivery` aggregate, and hand the deliveries back with :meth:`save`;
:meth:`commit` writes each one's new status (only over a stored status it may follow:
:meth:`Delivery.overwrites`) and maps the events of those written, and those recorded
here, to the outbox, in that transaction. The attempts in flight commit their single
changes through :class:`Changes`, which gathers concurrent ones into one unit of work.
"""

import abc
from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.engagement import Engagement
from jobline_comms.domain.events import Event
from jobline_comms.domain.replies import OptChange
from jobline_comms.service_layer.ports import Acceptance, Admission


class Intake(abc.ABC):
    @abc.abstractmethod
    async def add(self, batch: Sequence[Acceptance]) -> list[Admission]:
        """Each command's deduplication record, and its delivery (queued, due now) if it
        is a new one; the answers in order, as taking them one by one would give."""

    @abc.abstractmethod
    async def known(self, delivery_ids: Sequence[UUID]) -> dict[UUID, Delivery]:
        """The deliveries already taken in, locked until the unit of work ends."""

    @abc.abstractmethod
    async def forget(self, message_ids: Sequence[UUID]) -> None:
        """Drop these commands' deduplication records: each is judged again if it comes
        again (a refused command is dead-lettered again, never silently skipped)."""


class Deliveries(abc.ABC):
    @abc.abstractmethod
    async def expired_claims(self) -> list[Delivery]:
        """Deliveries claimed for longer than a provider call may take (their worker
        died mid-call), locked until the unit of work ends; others' locks skipped."""


class OptOutBook(abc.ABC):
    @abc.abstractmethod
    async def change(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        """Record an opt-out/in; True if it changed whether the phone is opted out."""

    @abc.abstractmethod
    async def first_reply(self, message_sid: str) -> bool:
        """Record an inbound message by its provider id; False if it was recorded before
        (the provider's retry, or a signed request replayed)."""


class Engagements(abc.ABC):
    """Emails' engagement (issue 20), beside their status."""

    @abc.abstractmethod
    async def locked(self, delivery_id: UUID) -> Engagement:
        """The delivery's engagement as stored, locked until the unit of work ends."""

    @abc.abstractmethod
    async def write(self, delivery_id: UUID, engagement: Engagement) -> None:
        """Store the delivery's engagement (merged by the caller under the lock)."""


class UnitOfWork(abc.ABC):
    intake: Intake
    deliveries: Deliveries
    opt_outs: OptOutBook
    engagements: Engagements  # issue 20

    @abc.abstractmethod
    async def __aenter__(self) -> Self:
        """Begin the transaction."""

    @abc.abstractmethod
    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Whatever was not committed is rolled back."""

    @abc.abstractmethod
    def save(self, delivery: Delivery) -> None:
        """Write ``delivery``'s change and its events at commit."""

    @abc.abstractmethod
    def record(self, event: Event, causation: Causation) -> None:
        """An event about no delivery (an opt-out), written at commit."""

    @abc.abstractmethod
    async def commit(self) -> None:
        """Write what was saved (a delivery that had moved on in the meantime is not, nor
        are its events) and what was recorded, and commit."""


class Changes(abc.ABC):
    @abc.abstractmethod
    async def save(self, delivery: Delivery) -> bool:
        """Commit ``delivery``'s change and events in a unit of work (shared with the
        changes saved at the same moment); False if the stored one had moved on."""

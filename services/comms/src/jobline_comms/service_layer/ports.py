"""What the handlers need from the outside world; adapters implement these."""

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from jobline_comms.domain.commands import Causation, Command
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.model import State
from jobline_comms.domain.outcomes import Outcome
from jobline_comms.domain.policy import Decision
from jobline_comms.domain.replies import OptChange


@dataclass(frozen=True)
class Incoming:
    """The Kafka record a command came in, kept to dead-letter it unchanged later."""

    raw: bytes
    key: bytes | None
    topic: str
    partition: int
    offset: int
    traceparent: str | None = None  # the sender's trace, for the provider call to join


@dataclass(frozen=True)
class Due:
    """A delivery picked for an attempt, under a lease only its picker may claim."""

    delivery_id: UUID
    raw: bytes
    lease: UUID
    traceparent: str | None = None


@dataclass(frozen=True)
class Acceptance:
    """One command to record, as :meth:`Ledger.accept` takes it."""

    cmd: Command
    sender: str
    causation: Causation
    incoming: Incoming


@dataclass(frozen=True)
class StatusCheck:
    """A text the provider accepted whose final status has not come: ask about it."""

    delivery_id: UUID
    provider_message_id: str


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider says of a message now: a ledger state, or None while interim."""

    state: State | None
    error_code: str | None = None


class Admission(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"  # this very message was handled before
    KNOWN = "known"  # another command for a delivery already in the ledger


class Ledger(abc.ABC):
    """Deliveries, opt-outs and processed commands; every change writes its events to
    the outbox in the same transaction."""

    @abc.abstractmethod
    async def accept(
        self, cmd: Command, sender: str, causation: Causation, incoming: Incoming
    ) -> Admission:
        """Record the command; for a known delivery, republish its state (never resend)."""

    async def accept_many(self, batch: Sequence[Acceptance]) -> list[Admission]:
        """:meth:`accept` for each, in order; adapters do it in one transaction."""
        return [await self.accept(a.cmd, a.sender, a.causation, a.incoming) for a in batch]

    @abc.abstractmethod
    async def pick_due(self, limit: int) -> list[Due]:
        """Lease up to ``limit`` queued deliveries whose attempt is due."""

    @abc.abstractmethod
    async def claim(self, due: Due) -> int | None:
        """Mark the delivery ``claimed`` (committed); the attempt number, or None if
        the lease was lost."""

    @abc.abstractmethod
    async def settle(self, delivery_id: UUID, decision: Decision) -> bool:
        """Apply ``decision`` unless the delivery already moved past it."""

    @abc.abstractmethod
    async def expire_claims(self) -> int:
        """Turn claims older than the call timeout (a worker died mid-call) to unknown."""

    @abc.abstractmethod
    async def report(
        self,
        delivery_id: UUID | None,
        provider_message_id: str,
        state: State,
        error_code: str | None,
    ) -> bool:
        """Apply a provider's status report; False if no delivery matches or it is stale."""

    @abc.abstractmethod
    async def due_status_checks(self, after: float, give_up_after: float) -> list[StatusCheck]:
        """Texts ``sent`` for over ``after`` seconds (but less than ``give_up_after``) and
        not asked about since, or not for as long as they had waited when last asked (the
        waits double); marked as asked about now. A few at a time, each to one worker."""

    @abc.abstractmethod
    async def is_opted_out(self, tenant_id: str, phone: str) -> bool: ...

    @abc.abstractmethod
    async def set_opt(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        """Record an opt-out/in; True (and an event) if it changed anything."""

    @abc.abstractmethod
    async def tenants_texting(self, sender: str, phone: str) -> list[str]:
        """Tenants that have texted ``phone`` from ``sender``."""


class SmsProvider(abc.ABC):
    @abc.abstractmethod
    async def send(self, delivery_id: UUID, to: str, sender: str, body: str) -> Outcome:
        """Ask the provider to send one text; classify whatever happens."""

    @abc.abstractmethod
    async def status(self, provider_message_id: str) -> ProviderStatus:
        """The message's status as the provider has it now (raises if it cannot say)."""


class EmailProvider(abc.ABC):
    @abc.abstractmethod
    async def send(self, email: OutgoingEmail) -> Outcome:
        """Hand one email to the SMTP server; classify whatever happens."""


class Blobs(abc.ABC):
    @abc.abstractmethod
    async def get(self, key: str) -> bytes:
        """The bytes at ``key``; FileNotFoundError if there are none."""


class RateLimiter(abc.ABC):
    @abc.abstractmethod
    async def wait_turn(self, sender: str) -> None:
        """Return when ``sender`` may send its next message."""

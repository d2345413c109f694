"""What the handlers need from the outside world; adapters implement these.

The repositories go by concern: the intake of commands, the attempts (picking and
claiming), the provider's status reports, the opt-outs. Every change they lead to is
written by a unit of work (:mod:`jobline_comms.service_layer.unit_of_work`).
"""

import abc
import enum
from dataclasses import dataclass
from uuid import UUID

from jobline_comms.domain.commands import Causation, Command
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.model import Channel, DeliveryStatus
from jobline_comms.domain.outcomes import Outcome


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
class Received:
    """A command as it came in, decoded once: what intake takes."""

    cmd: Command
    causation: Causation
    incoming: Incoming


@dataclass(frozen=True)
class Acceptance:
    """A received command and the number or address its delivery is sent from."""

    cmd: Command
    sender: str
    causation: Causation
    incoming: Incoming


@dataclass(frozen=True)
class Picked:
    """A delivery picked for an attempt (under a lease only this pick may claim), with
    the command it carries out, as intake decoded it."""

    delivery: Delivery
    command: Command
    traceparent: str | None = None


@dataclass(frozen=True)
class StatusCheck:
    """A text (or a SendGrid email) the provider accepted whose final status has not
    come: ask about it."""

    delivery_id: UUID
    provider_message_id: str
    channel: Channel = Channel.SMS


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider says of a message now: a delivery status, or None while interim."""

    status: DeliveryStatus | None
    error_code: str | None = None
    error_message: str | None = None  # the provider's words, where it gives them (a bounce)


class Admission(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"  # this very message has its deduplication record already
    KNOWN = "known"  # another command for a delivery already taken in
    FOREIGN = "foreign"  # a command naming another tenant's delivery: dead-lettered


class Attempts(abc.ABC):
    @abc.abstractmethod
    async def pick_due(self, limit: int) -> list[Picked]:
        """Lease up to ``limit`` queued deliveries whose attempt is due."""

    @abc.abstractmethod
    async def claim(self, delivery: Delivery) -> bool:
        """Write the delivery's claim (committed before the provider is called); False if
        its lease was lost, and then this attempt must not call."""


class Reports(abc.ABC):
    @abc.abstractmethod
    async def find(self, delivery_id: UUID | None, provider_message_id: str) -> Delivery | None:
        """The delivery a status report is about: by the delivery id the callback URL
        carries (known even when the create call's answer was lost), else by the sid."""

    @abc.abstractmethod
    async def due_status_checks(self, after: float, give_up_after: float) -> list[StatusCheck]:
        """Texts ``sent`` for over ``after`` seconds (but less than ``give_up_after``) and
        not asked about since, or not for as long as they had waited when last asked (the
        waits double); marked as asked about now. A few at a time, each to one worker."""


class OptOuts(abc.ABC):
    @abc.abstractmethod
    async def is_opted_out(self, tenant_id: str, phone: str) -> bool: ...

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
        """Hand one email to its provider; classify whatever happens."""

    async def status(self, provider_message_id: str) -> ProviderStatus:  # noqa: ARG002 - SMTP's default
        """The message's status as the provider has it now; an SMTP server has no answer
        to give once it took a message (interim, None, by default)."""
        return ProviderStatus(None)


class Blobs(abc.ABC):
    @abc.abstractmethod
    async def get(self, key: str) -> bytes:
        """The bytes at ``key``; FileNotFoundError if there are none."""


class RateLimiter(abc.ABC):
    @abc.abstractmethod
    async def wait_turn(self, sender: str) -> None:
        """Return when ``sender`` may send its next message."""

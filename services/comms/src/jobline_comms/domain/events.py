"""What happened to a delivery or a recipient: recorded by the domain, mapped to the
outbox (``comms.events.v1``, or the dead-letter topic) by the unit of work alone."""

from dataclasses import dataclass
from uuid import UUID

from jobline_comms.domain.engagement import DeliveryEngagementChanged
from jobline_comms.domain.inbound import ReplyReceived
from jobline_comms.domain.model import Channel, DeliveryStatus


@dataclass(frozen=True)
class DeliveryStatusChanged:
    """A delivery reached ``status`` (or a redelivered command asked again where it is)."""

    delivery_id: UUID
    communication_id: UUID
    channel: Channel
    status: DeliveryStatus
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class DeliveryDeadLettered:
    """Its attempts ran out: its original command goes to the dead-letter topic."""

    delivery_id: UUID
    reason: str


@dataclass(frozen=True)
class RecipientOptedOut:
    phone: str
    keyword: str


@dataclass(frozen=True)
class RecipientOptedIn:
    phone: str
    keyword: str


Event = (
    DeliveryStatusChanged
    | DeliveryDeadLettered
    | RecipientOptedOut
    | RecipientOptedIn
    | ReplyReceived  # issue 20
    | DeliveryEngagementChanged  # issue 20: opened, deferred
)

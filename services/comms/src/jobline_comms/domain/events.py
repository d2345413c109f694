"""What the comms service reports: delivery status changes and opt-outs/ins."""

from dataclasses import dataclass
from uuid import UUID

from jobline_comms.domain.model import Channel, State


@dataclass(frozen=True)
class DeliveryStatusChanged:
    delivery_id: UUID
    communication_id: UUID
    channel: Channel
    status: State
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RecipientOptedOut:
    phone: str
    keyword: str


@dataclass(frozen=True)
class RecipientOptedIn:
    phone: str
    keyword: str


Event = DeliveryStatusChanged | RecipientOptedOut | RecipientOptedIn

"""What the comms service is asked to do (internal vocabulary, no wire types)."""

from dataclasses import dataclass, field
from uuid import UUID

from jobline_comms.domain.model import Channel


@dataclass(frozen=True)
class Causation:
    """The command a delivery came in: what every event about it names as its cause."""

    tenant_id: str
    message_id: UUID | None
    correlation_id: UUID | None


@dataclass(frozen=True)
class AttachmentRef:
    """A stored file to attach, and what its bytes must hash to."""

    blob_key: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class SendSms:
    delivery_id: UUID
    communication_id: UUID
    tenant_id: str
    to: str
    body: str


@dataclass(frozen=True)
class SendEmail:
    delivery_id: UUID
    communication_id: UUID
    tenant_id: str
    to: str
    subject: str
    body_text: str
    to_name: str | None = None
    attachments: tuple[AttachmentRef, ...] = field(default_factory=tuple)
    from_name: str | None = None  # the business's name
    reply_to: str | None = None  # the business's address


Command = SendSms | SendEmail


def channel_of(cmd: Command) -> Channel:
    return Channel.SMS if isinstance(cmd, SendSms) else Channel.EMAIL

"""Commands to the comms service and the events it reports back.

``comms.commands.v1`` carries one delivery per message, keyed by delivery id: the
delivery id is the idempotency key all the way to the provider.
"""

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from jobline_contracts.envelope import Payload
from jobline_contracts.tenancy import BlobKey
from jobline_contracts.types import (
    ONE_LINE,
    Code,
    ContractModel,
    Email,
    PhoneNumber,
    Text,
)

PROVIDER_ID_MAX = 256
# A provider's id for a message (a Twilio sid is 34 characters, an SMTP Message-ID ~60).
ProviderMessageId = Annotated[str, StringConstraints(max_length=PROVIDER_ID_MAX)]


class SendSms(Payload):
    """Send one text message to one phone number."""

    message_type = "sms.send"

    delivery_id: UUID
    communication_id: UUID
    job_id: UUID | None = None
    recipient_id: UUID | None = None
    to: PhoneNumber
    body: Annotated[str, StringConstraints(min_length=1, max_length=160)]


class Attachment(ContractModel):
    """A stored file to attach to an email, by blob key."""

    blob_key: BlobKey
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=ONE_LINE)]
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=ONE_LINE)]
    size_bytes: int = Field(ge=0)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class SendEmail(Payload):
    """Send one email to one address."""

    message_type = "email.send"

    delivery_id: UUID
    communication_id: UUID
    job_id: UUID | None = None
    recipient_id: UUID | None = None
    to: Email
    to_name: Annotated[str, StringConstraints(max_length=200, pattern=ONE_LINE)] | None = None
    subject: Annotated[str, StringConstraints(min_length=1, max_length=250, pattern=ONE_LINE)]
    body_text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    # The business the email is from: its name shows as the sender, replies go to its
    # address. Absent: the deployment's own sender (older producers).
    from_name: Annotated[str, StringConstraints(max_length=200, pattern=ONE_LINE)] | None = None
    reply_to: Email | None = None

    def blob_keys(self) -> tuple[str, ...]:
        return tuple(a.blob_key for a in self.attachments)


class DeliveryStatus(StrEnum):
    """Where one delivery stands. ``unknown`` means the provider call's outcome is
    not known yet (a crash mid-call); it is reconciled, never blindly resent."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"
    UNKNOWN = "unknown"


class DeliveryStatusChanged(Payload):
    """A delivery moved on, as the provider reported it."""

    message_type = "delivery.status_changed"

    delivery_id: UUID
    communication_id: UUID
    channel: Literal["sms", "email"]
    status: DeliveryStatus
    provider_message_id: ProviderMessageId | None = None
    error_code: Code | None = Field(default=None, description="The provider's, or ours")
    error_message: Text | None = Field(default=None, description="Cut to 2000 characters")


class RecipientOptedOut(Payload):
    """A customer replied STOP (or another opt-out word) to the tenant's number."""

    message_type = "recipient.opted_out"

    phone: PhoneNumber
    keyword: Annotated[Code, StringConstraints(min_length=1)]


class RecipientOptedIn(Payload):
    """A customer replied START (or UNSTOP) and may be texted again."""

    message_type = "recipient.opted_in"

    phone: PhoneNumber
    keyword: Annotated[Code, StringConstraints(min_length=1)]


# issue 20: replies
REPLY_BODY_MAX = 20000  # an email reply's text is cut to this (a text is 1600 at most)


class RefusedAttachment(ContractModel):
    """A file a reply carried that was not stored, and why (over the size limit, a type
    documents may not be)."""

    filename: Annotated[str, StringConstraints(max_length=255, pattern=ONE_LINE)]
    content_type: Annotated[str, StringConstraints(max_length=255, pattern=ONE_LINE)]
    size_bytes: int | None = Field(default=None, ge=0)
    reason: Text


class ReplyReceived(Payload):
    """A customer's reply (not STOP/START) to one of the tenant's numbers, or an email to
    the tenant's reply address. It carries the wording and the sender's address because
    jobs keeps the conversation; jobs never repeats them on ``jobs.lifecycle.v1``. The
    files it carried are stored already (blob keys), those refused are named."""

    message_type = "reply.received"

    reply_id: UUID
    channel: Literal["sms", "email"]
    sender: Annotated[str, StringConstraints(min_length=1, max_length=320, pattern=ONE_LINE)]
    subject: Annotated[str, StringConstraints(max_length=250, pattern=ONE_LINE)] | None = None
    body: Annotated[str, StringConstraints(max_length=REPLY_BODY_MAX)]
    received_at: AwareDatetime
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    refused_attachments: list[RefusedAttachment] = Field(default_factory=list, max_length=20)


# issue 20: what an email's recipient did with it, beside its status
class DeliveryEngagementChanged(Payload):
    """What SendGrid's events say of an email beyond its status: when it was first opened
    (an ``open`` or a ``click``), and its latest deferral (the receiving server said "try
    later"; SendGrid retries). It carries the delivery's whole engagement as it stands,
    so a consumer keeps the earliest ``opened_at`` and the latest ``deferred_at`` (ties:
    the greater reason) and any order of these events ends the same. The delivery's
    status travels on ``delivery.status_changed`` alone."""

    message_type = "delivery.engagement_changed"

    delivery_id: UUID
    communication_id: UUID
    opened_at: AwareDatetime | None = None
    deferred_at: AwareDatetime | None = None
    deferred_reason: Text | None = Field(default=None, description="SendGrid's words")


ALL_COMMS_COMMANDS: tuple[type[Payload], ...] = (SendSms, SendEmail)
ALL_COMMS_EVENTS: tuple[type[Payload], ...] = (
    DeliveryStatusChanged,
    RecipientOptedOut,
    RecipientOptedIn,
    ReplyReceived,  # issue 20
    DeliveryEngagementChanged,  # issue 20: opened, deferred
)

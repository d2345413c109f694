"""Wire → internal: decoded ``sms.send`` / ``email.send`` envelopes become domain commands."""

from typing import Any

from jobline_comms.domain.commands import AttachmentRef, Causation, Command, SendEmail, SendSms
from jobline_contracts import comms as wire
from jobline_contracts.envelope import Envelope


def to_command(envelope: Envelope[Any]) -> Command:
    """The send command carried by ``envelope`` (decoded on comms.commands.v1)."""
    message = envelope.payload
    if isinstance(message, wire.SendSms):
        return SendSms(
            message.delivery_id,
            message.communication_id,
            envelope.tenant_id,
            message.to,
            message.body,
        )
    if isinstance(message, wire.SendEmail):
        return SendEmail(
            delivery_id=message.delivery_id,
            communication_id=message.communication_id,
            tenant_id=envelope.tenant_id,
            to=str(message.to),
            subject=message.subject,
            body_text=message.body_text,
            to_name=message.to_name,
            from_name=message.from_name,
            reply_to=None if message.reply_to is None else str(message.reply_to),
            attachments=tuple(
                AttachmentRef(a.blob_key, a.filename, a.content_type, a.size_bytes, a.sha256)
                for a in message.attachments
            ),
        )
    raise TypeError(f"not a send command: {envelope.type}")


def causation_of(envelope: Envelope[Any]) -> Causation:
    """Who caused what the command leads to: its message id, within its correlation."""
    return Causation(envelope.tenant_id, envelope.message_id, envelope.correlation_id)

"""An email ready to hand to its provider (SMTP or SendGrid), and the check each
attachment passes first."""

import hashlib
from dataclasses import dataclass
from uuid import UUID

from jobline_comms.domain.commands import AttachmentRef


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    delivery_id: UUID  # also its Message-ID, so a copy can be traced to its delivery
    sender: str
    to: str
    to_name: str | None
    subject: str
    body_text: str
    attachments: tuple[File, ...]
    reply_to: str | None = None
    tenant_id: str = ""  # whose email: the provider may be chosen per tenant


def attachment_problem(ref: AttachmentRef, data: bytes) -> str | None:
    """Why ``data`` is not the file the command named, or None if it is."""
    if len(data) != ref.size_bytes:
        return f"{ref.filename}: {len(data)} bytes stored, {ref.size_bytes} expected"
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        return f"{ref.filename}: sha256 differs from the command's"
    return None

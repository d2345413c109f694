"""Customers' replies that are not STOP/START: which tenant a reply belongs to, and which
of the files it carried may become the job's documents.

The files follow the jobs API's rules for documents (``jobline_jobs.domain.documents``):
JPEG, PNG, WebP or PDF by their first bytes, whatever the sender claims, and no larger
than the upload limit. What breaks a rule is not stored; the reply says why.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

# Replies keyed by the provider's id (a text's MessageSid) or an email's Message-ID: the
# same reply, posted again, gets the same id, so its files land on the same keys.
REPLY_NAMESPACE = uuid.UUID("5d6f0c8e-2b1a-4f3e-9a7c-1e0b2d4c6a80")
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
MAX_FILES = 20  # the contract's bound; more are refused by name
_REPLY_LOCAL = re.compile(r"^reply\+([a-z0-9][a-z0-9-]{1,62})$")  # a tenant id, as contracts say


def reply_id_of(provider_key: str) -> UUID:
    return uuid.uuid5(REPLY_NAMESPACE, provider_key)


def sniff(head: bytes) -> str | None:
    """The content type the file's magic bytes show, among those a document may be."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def file_problem(claimed_type: str, size: int | None, head: bytes, limit: int) -> str | None:
    """Why a reply's file may not be stored as a document, or None if it may."""
    if size is not None and size > limit:
        return f"{size} bytes is over the {limit}-byte limit for a document"
    if sniff(head) is None:
        return (
            f"{claimed_type or 'this file'} is not a type a document may be"
            f" ({', '.join(ACCEPTED_TYPES)})"
        )
    return None


def tenant_of_address(address: str, reply_domain: str | None, own: dict[str, str]) -> str | None:
    """The tenant a reply address belongs to: a tenant's own configured address, or
    ``reply+<tenant>@<reply domain>``. Never the sender's: anyone can claim any From."""
    address = address.strip().lower()
    for tenant, configured in own.items():
        if configured.strip().lower() == address:
            return tenant
    local, _, domain = address.rpartition("@")
    match = _REPLY_LOCAL.match(local)
    if match is None or reply_domain is None or domain != reply_domain.lower():
        return None
    return match.group(1)


@dataclass(frozen=True)
class StoredFile:
    """A reply's file, stored in the blob store."""

    blob_key: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class RefusedFile:
    filename: str
    content_type: str
    size_bytes: int | None
    reason: str


@dataclass(frozen=True)
class ReplyReceived:
    """A customer's reply, for the tenant's jobs to file under a job or in the inbox."""

    reply_id: UUID
    channel: str  # "sms" or "email"
    sender: str
    body: str
    received_at: datetime
    subject: str | None = None
    files: tuple[StoredFile, ...] = ()
    refused: tuple[RefusedFile, ...] = field(default_factory=tuple)

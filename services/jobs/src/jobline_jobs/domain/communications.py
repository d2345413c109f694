"""The rules of a customer communication: who may receive it, what it may say and carry.

Pure: the caller passes the job's contacts and attachable files; the result says who
gets a delivery and who is refused (opted out) — or InvalidRequest says why not at all.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.sms import check_one_segment

EMAIL_ATTACHMENTS_LIMIT = 15 * 1024 * 1024  # what common mail servers accept, encoded


@dataclass(frozen=True)
class Contact:
    contact_id: UUID
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class File:
    kind: str
    file_id: UUID
    size_bytes: int


@dataclass(frozen=True)
class StoredFile:
    """A file an email may attach, with what the comms service needs to send it."""

    file: File
    blob_key: str
    filename: str
    content_type: str
    sha256: str | None  # None: announced by the dispatch system, never uploaded


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    address: str
    opted_out: bool


def recipients(
    channel: str,
    wanted: Sequence[UUID],
    contacts: Mapping[UUID, Contact],
    opted_out_phones: frozenset[str],
) -> list[Recipient]:
    """The recipients of a save, each with the address the channel uses."""
    if not wanted:
        raise InvalidRequest("choose at least one recipient")
    if len(set(wanted)) != len(wanted):
        raise InvalidRequest("a recipient is listed twice")
    chosen = []
    for contact_id in wanted:
        contact = contacts.get(contact_id)
        if contact is None:
            raise InvalidRequest(
                f"recipient {contact_id} is not a contact of the job's customer or property"
            )
        address = contact.phone if channel == "sms" else contact.email
        if not address:
            need = "phone number" if channel == "sms" else "email address"
            raise InvalidRequest(f"recipient {contact.name} has no {need}")
        opted_out = channel == "sms" and address in opted_out_phones
        chosen.append(Recipient(contact, address, opted_out))
    return chosen


def check_content(
    channel: str, body: str, subject: str | None, attachments: Sequence[tuple[str, UUID]]
) -> None:
    if channel == "sms":
        if subject or attachments:
            raise InvalidRequest("a text message has no subject and no attachments")
        check_one_segment(body)
        return
    if not subject or not subject.strip():
        raise InvalidRequest("an email needs a subject")
    if not body.strip():
        raise InvalidRequest("an email needs a body")


def attachments(
    wanted: Sequence[tuple[str, UUID]],
    files: Mapping[tuple[str, UUID], File],
    limit: int = EMAIL_ATTACHMENTS_LIMIT,
) -> list[File]:
    """The files to attach; each must belong to the job, its property or its invoice."""
    chosen = []
    for kind, file_id in wanted:
        found = files.get((kind, file_id))
        if found is None:
            raise InvalidRequest(
                f"attachment {kind} {file_id} is not a file of the job, its property or its invoice"
            )
        chosen.append(found)
    total = sum(f.size_bytes for f in chosen)
    if total > limit:
        raise InvalidRequest(
            f"the attachments add up to {total} bytes; an email may carry at most {limit}"
        )
    return chosen

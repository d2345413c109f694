"""Customers' replies (issue 20): each is filed under the job of the latest message the
tenant sent to the sender, or, when there is none, in the tenant's inbox. Its files
become the job's documents; the reply is read (or not) by the office."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid5

from jobline_jobs.domain.commands import Command
from jobline_jobs.domain.events import Event


@dataclass(frozen=True)
class ReplyFile:
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
class RecordReply(Command):
    """The comms service reports a customer's reply."""

    reply_id: UUID
    channel: str
    sender: str
    subject: str | None
    body: str
    received_at: datetime
    files: tuple[ReplyFile, ...] = ()
    refused: tuple[RefusedFile, ...] = ()


@dataclass(frozen=True)
class MarkRepliesRead(Command):
    """An operator read these replies (of the tenant's inbox)."""

    reply_ids: tuple[UUID, ...]
    by: str


@dataclass(frozen=True)
class Match:
    """The latest message the tenant sent to the sender: the reply answers it."""

    job_id: UUID
    job_number: str
    communication_id: UUID


@dataclass(frozen=True)
class ReplyReceived(Event):
    """A reply was filed. In the inbox (``match`` None) it belongs to no job: its
    ``job_id`` is then the reply's own id, the key it is published under."""

    reply_id: UUID
    channel: str
    in_reply_to: UUID | None
    document_ids: tuple[UUID, ...]
    received_at: datetime
    in_inbox: bool


@dataclass
class Reply:
    tenant_id: str
    reply_id: UUID
    job_id: UUID | None
    in_reply_to: UUID | None
    received: RecordReply
    events: list[Event] = field(default_factory=list)

    @classmethod
    def file(cls, cmd: RecordReply, match: Match | None) -> "Reply":
        """The reply, filed under ``match``'s job (its files that job's documents) or in
        the inbox."""
        reply = cls(
            cmd.tenant_id,
            cmd.reply_id,
            match.job_id if match else None,
            match.communication_id if match else None,
            cmd,
        )
        reply.events.append(
            ReplyReceived(
                job_id=match.job_id if match else cmd.reply_id,
                job_number=match.job_number if match else "",
                reply_id=cmd.reply_id,
                channel=cmd.channel,
                in_reply_to=reply.in_reply_to,
                document_ids=reply.document_ids() if match else (),
                received_at=cmd.received_at,
                in_inbox=match is None,
            )
        )
        return reply

    def document_ids(self) -> tuple[UUID, ...]:
        """Each file's document id: the same reply reported again names the same ones."""
        return tuple(uuid5(self.reply_id, f.blob_key) for f in self.received.files)

    def document_name(self, n: int) -> str:
        """A neutral name: the sender's own stays with the reply, off the lifecycle."""
        file = self.received.files[n]
        kind = "photo" if file.content_type.startswith("image/") else "file"
        suffix = file.filename.rpartition(".")[2] if "." in file.filename else "bin"
        return f"Reply {kind} {n + 1}.{suffix[:8]}"

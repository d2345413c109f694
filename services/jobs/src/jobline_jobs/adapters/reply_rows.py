"""Typed rows of replies (issue 20). ``rows.STATEMENTS`` places them after the sends'
(a reply references the communication it answers)."""

from datetime import datetime
from typing import NamedTuple
from uuid import UUID


class ReplyInsert(NamedTuple):
    tenant_id: str
    reply_id: UUID
    job_id: UUID | None
    in_reply_to: UUID | None
    channel: str
    sender: str
    subject: str | None
    body: str
    files: str  # JSON
    refused: str  # JSON
    received_at: datetime


ReplyRow = ReplyInsert

STATEMENTS: dict[type[ReplyRow], str] = {
    # A reply reported twice (the consumer's claim makes that rare) is filed once.
    ReplyInsert: """INSERT INTO jobs.replies (tenant_id, reply_id, job_id, in_reply_to,
            channel, sender, subject, body, files, refused, received_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
}

"""What an email's recipient did with it beyond its status (issue 20), as the comms
service reports it: when it was first opened, and its latest deferral with the
receiving server's reason. Kept on the delivery for the office to read; nothing of it
goes on ``jobs.lifecycle.v1``."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from jobline_jobs.domain.commands import Command


@dataclass(frozen=True)
class RecordEngagement(Command):
    """The delivery's engagement as comms last saw it. Stored order-free: the earliest
    open and the latest deferral (same instant: the greater reason) win, so a late or
    repeated report changes nothing."""

    delivery_id: UUID
    opened_at: datetime | None
    deferred_at: datetime | None
    deferred_reason: str | None

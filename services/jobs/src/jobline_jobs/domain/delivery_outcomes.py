"""Where a delivery stands as the comms service reports it, and the outcomes of a
communication other teams hear of on the lifecycle topic (issue 19).

Reports arrive out of order and more than once (provider callbacks race, a comms event
can be redelivered), so a report only ever moves a delivery forward, as the comms
service's own ranking does, and an outcome is recorded once: when it first happens."""

from dataclasses import dataclass
from uuid import UUID

from jobline_jobs.domain.events import Event

# How far along each status is; every final status ranks the same, so a final status is
# never replaced. ``scheduled`` and ``canceled`` are Jobline's own (before any release).
_RANK = {
    "scheduled": 0,
    "queued": 1,
    "unknown": 2,
    "sent": 3,
    "delivered": 4,
    "failed": 4,
    "bounced": 4,
    "opted_out": 4,
    "canceled": 4,
}

# Status → the outcome published. A text the provider refused because the number had
# unsubscribed there is a failed delivery (its code says why); the customer's own STOP
# to the tenant's number is ``recipient.opted_out`` (see :class:`RecipientOptedOut`).
OUTCOMES = {
    "delivered": "delivered",
    "failed": "failed",
    "bounced": "bounced",
    "opted_out": "failed",
}


def advances(current: str, new: str) -> bool:
    """True if moving a delivery from ``current`` to ``new`` is progress (a repeat, or a
    late report of an earlier status, is not)."""
    return _RANK.get(new, -1) > _RANK.get(current, -1)


@dataclass(frozen=True)
class CommunicationOutcome(Event):
    """One delivery of a communication got where it ends: delivered, failed or bounced.
    Only ids, the channel and the provider's code: no address or wording, and no error
    text (a provider's message can quote the address)."""

    communication_id: UUID
    delivery_id: UUID
    recipient_id: UUID | None
    channel: str
    outcome: str  # a value of OUTCOMES
    error_code: str | None


@dataclass(frozen=True)
class RecipientOptedOut(Event):
    """A customer's STOP answered a text of this job: the number went from reachable to
    opted out. Names the text, its contact and the job's customer, never the number."""

    communication_id: UUID
    delivery_id: UUID
    recipient_id: UUID | None
    customer_id: UUID | None
    keyword: str

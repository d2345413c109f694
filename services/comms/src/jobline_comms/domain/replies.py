"""Customers' replies (STOP/START) and the provider's status reports."""

from dataclasses import dataclass

from jobline_comms.domain.model import State

# The standard keywords carriers and Twilio honour; the whole reply is the keyword.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})


@dataclass(frozen=True)
class OptChange:
    opted_out: bool
    keyword: str


def classify_reply(body: str) -> OptChange | None:
    """The opt-out/opt-in a reply asks for, or None for an ordinary reply."""
    word = body.strip().strip(".!").upper()
    if word in OPT_OUT_WORDS:
        return OptChange(opted_out=True, keyword=word)
    if word in OPT_IN_WORDS:
        return OptChange(opted_out=False, keyword=word)
    return None


_PROVIDER_STATUS = {
    "sent": State.SENT,
    "delivered": State.DELIVERED,
    "read": State.DELIVERED,
    "undelivered": State.FAILED,
    "failed": State.FAILED,
}


def provider_status(status: str) -> State | None:
    """The ledger state a Twilio ``MessageStatus`` reports, or None for interim ones
    (queued, accepted, sending, scheduled…)."""
    return _PROVIDER_STATUS.get(status.strip().lower())

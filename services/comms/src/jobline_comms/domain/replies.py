"""Customers' replies (STOP/START) and the provider's status reports."""

from dataclasses import dataclass

from jobline_comms.domain.model import DeliveryStatus

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
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
}


def provider_status(status: str) -> DeliveryStatus | None:
    """The delivery status a Twilio ``MessageStatus`` reports, or None for interim ones
    (queued, accepted, sending, scheduled…)."""
    return _PROVIDER_STATUS.get(status.strip().lower())

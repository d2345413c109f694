"""What came of one provider call, and how provider errors are classified."""

from dataclasses import dataclass

from jobline_comms.domain.model import DeliveryStatus

TWILIO_OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
SMTP_MAILBOX_UNAVAILABLE = 550


@dataclass(frozen=True)
class Accepted:
    """The provider took the message (Twilio answered with a sid; SMTP said 250)."""

    provider_message_id: str | None


@dataclass(frozen=True)
class Refused:
    """A permanent refusal: retrying cannot help. ``status`` is failed, bounced or opted_out."""

    status: DeliveryStatus
    code: str
    message: str


@dataclass(frozen=True)
class Transient:
    """The message certainly did not go out, and a later attempt may succeed."""

    code: str
    message: str


@dataclass(frozen=True)
class Ambiguous:
    """The request went out and no answer came back: it may or may not have been sent."""

    message: str


Outcome = Accepted | Refused | Transient | Ambiguous


def classify_twilio_error(http_status: int, code: int | None, message: str) -> Outcome:
    """A Twilio REST error: 429 and 5xx are worth retrying; other 4xx are final, with
    Twilio's own error code (21211 invalid number, 21610 unsubscribed recipient…)."""
    shown = str(code) if code is not None else str(http_status)
    if http_status == 429 or http_status >= 500:
        return Transient(shown, message)
    if code == TWILIO_OPTED_OUT:
        return Refused(DeliveryStatus.OPTED_OUT, shown, message)
    return Refused(DeliveryStatus.FAILED, shown, message)


def classify_smtp_reply(code: int, message: str, *, recipient_refused: bool) -> Outcome:
    """An SMTP error reply: 4xx is a temporary failure; 5xx is final, and a refused
    recipient (or 550, mailbox unavailable) is a bounce."""
    if 400 <= code < 500:
        return Transient(str(code), message)
    if recipient_refused or code == SMTP_MAILBOX_UNAVAILABLE:
        return Refused(DeliveryStatus.BOUNCED, str(code), message)
    return Refused(DeliveryStatus.FAILED, str(code), message)

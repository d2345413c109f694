"""A delivery's outcome in words an office person reads: what the provider's error code
means, with the provider's own message kept beside it for whoever calls support."""

from typing import Any

# Twilio's error codes (https://www.twilio.com/docs/api/errors) and SMTP reply codes that
# the comms service passes on as they came.
KNOWN = {
    "21211": "The phone number is not a valid number.",
    "21408": "Texts to that country are not enabled for this account.",
    "21610": "The recipient replied STOP; texts to this number are refused.",
    "21614": "The number cannot receive text messages (perhaps a landline).",
    "30003": "The phone could not be reached (switched off or out of coverage).",
    "30004": "The recipient has blocked these messages.",
    "30005": "The number is unknown or no longer in service.",
    "30006": "The number cannot receive text messages (perhaps a landline).",
    "30007": "The carrier filtered the message as unwanted.",
    "30008": "The carrier could not deliver it, for a reason it did not give.",
    "550": "The recipient's mail server says that address does not exist.",
    "552": "The recipient's mailbox is full or the message is too large for it.",
    "554": "The recipient's mail server refused the message.",
    "unknown": "We could not tell whether the provider sent it; check with the recipient"
    " before sending again.",
}
BY_STATUS = {
    "bounced": "The email bounced: the address does not take mail.",
    "opted_out": "The recipient replied STOP; texts to this number are refused.",
    "failed": "The provider could not send it.",
    "undelivered": "The carrier could not deliver it.",
}


def problem(delivery: dict[str, Any]) -> str | None:
    """Why a delivery did not go through, in plain words; None when nothing went wrong."""
    code, message = delivery.get("error_code"), delivery.get("error_message")
    if not code and not message and delivery["status"] not in BY_STATUS:
        return None
    words = KNOWN.get(str(code)) or BY_STATUS.get(delivery["status"])
    if words is None:
        words = "The provider reported a problem."
    said = " ".join(p for p in (f"code {code}" if code else "", message or "") if p)
    return f"{words} (Provider said: {said}.)" if said else words

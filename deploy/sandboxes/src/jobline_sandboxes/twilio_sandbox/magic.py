"""Destination numbers with documented behaviour, and how a create request is judged.

Pure: no I/O. The numbers follow Twilio's own test-credential numbers (+1500555xxxx).
"""

import re
from dataclasses import dataclass
from typing import Any, Final

# 400, code 21211: "The 'To' number is not a valid phone number", at create time.
INVALID_NUMBER: Final = "+15005550001"
# 429, code 20429, on the first RATE_LIMITED_ATTEMPTS sends to it; accepted afterwards.
RATE_LIMITED_NUMBER: Final = "+15005550009"
RATE_LIMITED_ATTEMPTS: Final = 2
# Accepted, then status callbacks `sent` -> `undelivered` with ErrorCode 30003.
UNDELIVERED_NUMBER: Final = "+15005550006"
UNDELIVERED_ERROR_CODE: Final = 30003
# 400, code 21610: the recipient has opted out (replied STOP), at create time.
OPTED_OUT_NUMBER: Final = "+15005550004"

MAX_BODY_CHARS: Final = 1600
_PHONE = re.compile(r"\+?[1-9]\d{6,14}")
_PHONE_PUNCTUATION = str.maketrans("", "", " -().")


@dataclass(frozen=True)
class Refusal:
    """A Twilio REST error: the HTTP status and the body the SDK turns into an exception."""

    http_status: int
    code: int
    message: str

    def payload(self) -> dict[str, Any]:
        """Twilio's error JSON; the SDK reads `code` and `message` into TwilioRestException."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.http_status,
        }


def judge_create(to: str, from_: str, body: str, earlier_sends_to_number: int) -> Refusal | None:
    """The refusal a create request earns, or None when it is accepted.

    `earlier_sends_to_number` counts the create requests to the same `to` received before
    this one (refused ones included).
    """
    return _malformed(to, from_, body) or _by_number(to, earlier_sends_to_number)


def _malformed(to: str, from_: str, body: str) -> Refusal | None:
    if not to:
        return Refusal(400, 21604, "A 'To' phone number is required.")
    if not from_:
        return Refusal(400, 21603, "A 'From' phone number is required.")
    if not body:
        return Refusal(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY_CHARS:
        return Refusal(
            400, 21617, "The concatenated message body exceeds the 1600 character limit."
        )
    return None


def _by_number(to: str, earlier_sends_to_number: int) -> Refusal | None:
    if to == INVALID_NUMBER or not _PHONE.fullmatch(to.translate(_PHONE_PUNCTUATION)):
        return Refusal(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if to == OPTED_OUT_NUMBER:
        return Refusal(
            400, 21610, "Attempt to send to unsubscribed recipient (the recipient opted out)."
        )
    if to == RATE_LIMITED_NUMBER and earlier_sends_to_number < RATE_LIMITED_ATTEMPTS:
        return Refusal(429, 20429, "Too Many Requests")
    return None


def final_status(to: str) -> tuple[str, int | None]:
    """The status the last callback of an accepted message reports, and its error code."""
    if to == UNDELIVERED_NUMBER:
        return "undelivered", UNDELIVERED_ERROR_CODE
    return "delivered", None

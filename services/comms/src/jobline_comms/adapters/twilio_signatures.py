"""Checking ``X-Twilio-Signature`` on Twilio's callbacks with the SDK's validator."""

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


class TwilioSignatures:
    """Accepts a request signed with the current auth token or, during a rotation, the one
    it replaces: Twilio signs with its primary token, and comms pods restart one by one,
    so for a while both keys sign genuine callbacks."""

    def __init__(self, token: str, previous: str | None = None) -> None:
        self._validators = [RequestValidator(t) for t in (token, previous) if t]

    def valid(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether ``signature`` signs ``url`` and the form ``params`` with a known token."""
        if not signature:
            return False
        form = dict(params)
        return any(v.validate(url, form, signature) for v in self._validators)

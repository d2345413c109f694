"""Checking ``X-Twilio-Signature`` on Twilio's callbacks.

Twilio signs the exact URL it was given plus the sorted form fields with HMAC-SHA1 of
the auth token. The SDK's validator always computes two signatures (the URL with and
without its port) after parsing and rebuilding the URL: two callbacks per text made it
a tenth of a worker's CPU. So the exact URL is checked first, one HMAC; only a
signature that does not match it goes to the SDK's validator, which tries the port
variants (and a ``bodySHA256`` URL, which the exact check leaves to it).
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping

from twilio.request_validator import RequestValidator


class TwilioSignatures:
    """Accepts a request signed with the current auth token or, during a rotation, the one
    it replaces: Twilio signs with its primary token, and comms pods restart one by one,
    so for a while both keys sign genuine callbacks."""

    def __init__(self, token: str, previous: str | None = None) -> None:
        tokens = [t for t in (token, previous) if t]
        self._keys = [t.encode() for t in tokens]
        self._validators = [RequestValidator(t) for t in tokens]

    def valid(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether ``signature`` signs ``url`` and the form ``params`` with a known token."""
        if not signature:
            return False
        if "bodySHA256" not in url:
            signed = (url + "".join(k + params[k] for k in sorted(params))).encode()
            given = signature.encode()
            for key in self._keys:
                digest = hmac.new(key, signed, hashlib.sha1).digest()
                if hmac.compare_digest(base64.b64encode(digest), given):
                    return True
        form = dict(params)
        return any(v.validate(url, form, signature) for v in self._validators)

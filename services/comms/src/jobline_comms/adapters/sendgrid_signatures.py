"""Checking SendGrid's signed Event Webhook with the SDK's ``EventWebhook`` helper.

SendGrid signs the timestamp header followed by the raw body with ECDSA (P-256,
SHA-256); the verification key is the account's public key, base64 DER as SendGrid's
settings page shows it. A request older (or newer) than the tolerance is refused even
when its signature is good, so a captured request cannot be replayed later.
"""

import binascii
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook


class SendgridSignatures:
    """Fails closed: without a configured public key every request is refused."""

    def __init__(
        self,
        public_key: str | None,
        *,
        tolerance_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._webhook = EventWebhook()
        self._key = self._webhook.convert_public_key_to_ecdsa(public_key) if public_key else None
        if self._key is not None and not isinstance(self._key, ec.EllipticCurvePublicKey):
            raise ValueError("the SendGrid event webhook key must be an elliptic-curve key")
        self._tolerance, self._clock = tolerance_seconds, clock

    def valid(self, body: bytes, signature: str, timestamp: str) -> bool:
        """Whether ``signature`` signs ``timestamp`` + ``body`` and the timestamp is fresh."""
        if self._key is None or not signature or not timestamp.isdigit():
            return False
        if abs(self._clock() - int(timestamp)) > self._tolerance:
            return False
        try:
            payload = body.decode("utf-8")
            return bool(self._webhook.verify_signature(payload, signature, timestamp, self._key))
        except (UnicodeDecodeError, binascii.Error, ValueError):
            return False

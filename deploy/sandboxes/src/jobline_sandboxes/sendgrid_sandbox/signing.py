"""Signing events as SendGrid does: ECDSA P-256 over SHA-256 of timestamp + body.

The public key is given out as SendGrid's settings page shows it (base64 of the DER
SubjectPublicKeyInfo), which the SDK's ``EventWebhook`` helper takes as it is.
"""

import base64
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


class EventSigner:
    """Holds one signing key; signs event bodies with it."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> "EventSigner":
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_file(cls, path: Path) -> "EventSigner":
        """The key in ``path`` (PEM), created there first if there is none, so the
        services configured with its public key keep trusting it across restarts."""
        if not path.exists():
            signer = cls.generate()
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.partial")
            partial.write_bytes(signer.private_pem())
            partial.chmod(0o600)
            partial.replace(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{path} does not hold an elliptic-curve private key")
        return cls(key)

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_key(self) -> str:
        """Base64 DER, the verification key's form in SendGrid's Mail Settings."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, timestamp: str, body: str) -> str:
        """The ``X-Twilio-Email-Event-Webhook-Signature`` of ``body`` sent at ``timestamp``."""
        signature = self._key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")

"""Passwords hashed with argon2id through pwdlib (its recommended parameters), and TOTP
codes (RFC 6238, 30 s steps, six digits) through pyotp."""

import asyncio
from datetime import datetime

import pyotp
from pwdlib import PasswordHash

from jobline_jobs.service_layer.account_ports import Secrets


class Argon2Secrets(Secrets):
    def __init__(self) -> None:
        self._hasher = PasswordHash.recommended()
        # Checked against when an email has no password, so an unknown address takes as
        # long to refuse as a wrong password (no telling which accounts exist by timing).
        self._decoy = self._hasher.hash("decoy password that never matches")

    async def hash_password(self, password: str) -> str:
        # ~0.2 s of CPU: in a thread, so the event loop keeps serving other requests.
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_password(self, password: str, password_hash: str | None) -> bool:
        matched = await asyncio.to_thread(
            self._hasher.verify, password, password_hash or self._decoy
        )
        return matched and password_hash is not None

    def new_totp_secret(self) -> str:
        return pyotp.random_base32()

    def totp_uri(self, secret: str, email: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)

    def totp_ok(self, secret: str, code: str, now: datetime) -> bool:
        # One step either side: a phone's clock a little off, a code typed as it turned.
        digits = "".join(code.split())
        return pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)

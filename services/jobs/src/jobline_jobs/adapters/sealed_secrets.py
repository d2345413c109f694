"""Secrets kept in the database encrypted (Fernet: AES-128-CBC with an HMAC-SHA256, from
``cryptography``), so a dump or a replica's reader never sees them. The keys come from
``JOBLINE_JOBS_SECRETS_KEY``: the first encrypts, every one decrypts, so a new key can be
put in front while rows sealed by the old one are still read."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from jobline_jobs.service_layer.sign_on_ports import SignOnFailed


class SecretsKeyMissing(SignOnFailed):
    """No key is set (outside development it must be): nothing can be sealed or opened."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None

    def seal(self, secret: str) -> str:
        return self._keys().encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._keys().decrypt(sealed.encode("ascii")).decode()
        except InvalidToken as error:
            raise SignOnFailed(
                "a stored secret does not open with JOBLINE_JOBS_SECRETS_KEY (was the key "
                "replaced instead of put in front of the old one?)"
            ) from error

    def _keys(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretsKeyMissing("JOBLINE_JOBS_SECRETS_KEY is not set")
        return self._fernet

"""A tenant's single sign-on settings as an admin keeps them: one implementation for the
console's page, the API (``/v1/tenant/sso``) and ``jobline-jobs sso``. The issuer is asked
for its discovery document before anything is kept, so a mistyped address changes nothing;
the client secret is written, sealed, and never read back out."""

from dataclasses import replace
from urllib.parse import urlsplit

from jobline_jobs.service_layer.sign_on_ports import (
    IdentityProvider,
    IssuerUnreachable,
    NotAnIssuer,
    SignOnChange,
    SignOnFailed,
    SignOnShown,
    SignOnStore,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")  # the local test issuer serves plain http
DISCOVERY = "/.well-known/openid-configuration"


class SettingRefused(Exception):
    """The change is refused and nothing changed; ``message`` is for an office person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class SignOnSettings:
    def __init__(
        self, store: SignOnStore, provider: IdentityProvider, *, plain_loopback: bool = False
    ) -> None:
        """``plain_loopback``: accept http:// on this machine (the local test issuer); off
        outside development, so a tenant's admin cannot make the server probe its own ports."""
        self.store, self.provider, self.plain_loopback = store, provider, plain_loopback

    async def show(self, tenant_id: str) -> SignOnShown | None:
        return await self.store.shown(tenant_id)

    async def configure(self, change: SignOnChange) -> SignOnShown:
        """Keep ``change`` once its issuer answers as one; SettingRefused otherwise."""
        change = checked(change, plain_loopback=self.plain_loopback)
        try:
            await self.provider.discover(change.issuer)
        except IssuerUnreachable as failure:
            raise SettingRefused(
                "issuer_unreachable",
                f"Jobline could not reach {change.issuer}: check the address and that the "
                "issuer is running. Nothing was changed.",
            ) from failure
        except NotAnIssuer as failure:
            raise SettingRefused(
                "not_an_issuer",
                f"{change.issuer} answered, but not as an OpenID Connect issuer (no discovery "
                f"document naming it at {DISCOVERY}). Nothing was changed.",
            ) from failure
        try:
            kept = await self.store.configure(change)
        except SignOnFailed as failure:  # no key to seal the secret with
            raise SettingRefused(
                "secrets_key_missing",
                "The server has no key to keep the client secret safe with "
                "(JOBLINE_JOBS_SECRETS_KEY). Nothing was changed.",
            ) from failure
        shown = await self.store.shown(change.tenant_id)
        if not kept or shown is None:
            raise SettingRefused(
                "client_secret_required", "Enter the client secret the issuer gave for Jobline."
            )
        return shown

    async def remove(self, tenant_id: str) -> None:
        if not await self.store.remove(tenant_id):
            raise SettingRefused("not_configured", "This business does not use single sign-on.")


def checked(change: SignOnChange, *, plain_loopback: bool) -> SignOnChange:
    """``change`` trimmed (a blank secret keeps the stored one); SettingRefused naming the
    first rule it breaks."""
    issuer, client_id = change.issuer.strip(), change.client_id.strip()
    try:
        url = urlsplit(issuer)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        url = urlsplit("")
    local = plain_loopback and url.scheme == "http" and url.hostname in LOOPBACK
    secure = url.scheme == "https" or local
    if not (secure and url.hostname) or url.query or url.fragment or len(issuer) > 500:
        # An issuer is an https URL without query or fragment (OpenID Connect Discovery 1.0).
        raise SettingRefused(
            "invalid_issuer",
            "The issuer URL must start with https:// and have no ? or # part, "
            "e.g. https://login.example.com.",
        )
    if not client_id:
        raise SettingRefused(
            "client_id_required", "Enter the client ID the issuer gave for Jobline."
        )
    # Kept as typed (a secret's spaces are its own); only an empty field keeps the old one.
    secret = change.client_secret if (change.client_secret or "").strip() else None
    return replace(change, issuer=issuer, client_id=client_id, client_secret=secret)

"""Single sign-on (OpenID Connect) as use cases: send the browser to the tenant's issuer,
and when it comes back with a code, open the same console session a password opens, for
the tenant's user with the email the issuer vouches for.

The state (in a cookie of the browser that began, and hashed here) is checked before the
code is used, and works once; the nonce and PKCE verifier never leave the server."""

import hmac
import logging
import secrets
from datetime import timedelta

from jobline_jobs.domain.accounts import AccountRefused, normal_email
from jobline_jobs.service_layer.account_ports import User
from jobline_jobs.service_layer.accounts import Accounts, Refused, SignedIn, digest
from jobline_jobs.service_layer.sign_on_ports import (
    Attempt,
    Identity,
    IdentityProvider,
    SignOnConfig,
    SignOnFailed,
    SignOnStore,
)

log = logging.getLogger(__name__)
NOT_CONFIGURED = "That business does not use single sign-on; sign in with your email and password."
UNREACHABLE = "Single sign-on is not answering; try again, or sign in with your password."
START_AGAIN = "This sign-in has expired or began in another browser; start it again."
NOT_VERIFIED = "Single sign-on could not confirm who you are; start again."


class SignOn:
    def __init__(
        self,
        store: SignOnStore,
        provider: IdentityProvider,
        accounts: Accounts,
        ttl: timedelta = timedelta(minutes=10),
        *,
        plain_loopback: bool = False,
    ) -> None:
        self.store, self.provider, self.accounts, self.ttl = store, provider, accounts, ttl
        # Whether an admin may name an issuer at http:// on this machine (development).
        self.plain_loopback = plain_loopback

    async def begin(self, tenant_id: str, redirect_uri: str) -> tuple[str, str] | Refused:
        """Where to send the browser, and the state its cookie keeps until it is back."""
        try:
            config = await self.store.config(tenant_id.strip())
        except SignOnFailed as failure:  # its secret does not open with the server's key
            log.warning("single sign-on for %s: %s", tenant_id.strip(), failure)
            return Refused(UNREACHABLE)
        if config is None:
            return Refused(NOT_CONFIGURED)
        state = secrets.token_urlsafe(32)
        attempt = Attempt(
            config.tenant_id, secrets.token_urlsafe(24), secrets.token_urlsafe(48), redirect_uri
        )
        try:
            url = await self.provider.authorization_url(config, attempt, state)
        except SignOnFailed as failure:
            log.warning("single sign-on for %s: %s", config.tenant_id, failure)
            return Refused(UNREACHABLE)
        await self.store.save_attempt(digest(state), attempt, self.accounts.clock())
        return url, state

    async def finish(
        self, kept_state: str, state: str, code: str, origin: tuple[str, str]
    ) -> SignedIn | Refused:
        """The browser is back from the issuer with ``code`` and ``state``; ``kept_state``
        is what its cookie kept. ``origin``: the client's address and user agent."""
        if not (kept_state and state and hmac.compare_digest(kept_state, state)):
            return Refused(START_AGAIN)
        attempt = await self.store.take_attempt(digest(state), self.accounts.clock() - self.ttl)
        if attempt is None:
            return Refused(START_AGAIN)
        try:
            config = await self.store.config(attempt.tenant_id)
            if config is None:  # removed meanwhile
                return Refused(START_AGAIN)
            identity = await self.provider.identity(config, attempt, code)
        except SignOnFailed as failure:
            log.warning("single sign-on for %s did not verify: %s", attempt.tenant_id, failure)
            return Refused(NOT_VERIFIED)
        user = await self._user(config, identity)
        if isinstance(user, Refused):
            return user
        return await self.accounts.open_session(user.user_id, origin, due=False)

    async def _user(self, config: SignOnConfig, identity: Identity) -> User | Refused:
        """The tenant's user with the verified email; made now if the tenant says so."""
        if not identity.email_verified:
            return Refused("Single sign-on has not verified your email address yet.")
        email = normal_email(identity.email)
        found = await self.accounts.store.credentials(email)
        if found is not None and found.user.tenant_id == config.tenant_id:
            if found.user.disabled:
                return Refused("This account is disabled; ask an admin of your business.")
            return found.user
        if found is not None or config.new_user_role is None:
            return Refused(
                f"No account of this business has the email {email}; "
                "ask an admin of your business to invite you."
            )
        name = (identity.name or email.split("@")[0])[:100]
        try:
            user, _ = await self.accounts.invite(
                config.tenant_id, email, name, config.new_user_role
            )
        except AccountRefused as refusal:
            return Refused(f"No account could be made for {email}: {refusal.message}.")
        log.info("single sign-on made user %s in %s", user.user_id, config.tenant_id)
        return user

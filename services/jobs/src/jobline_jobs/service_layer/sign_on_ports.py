"""The ports of single sign-on (OpenID Connect): where a tenant's issuer settings and the
sign-ins in flight are kept, and the issuer itself. Implemented in ``adapters/sign_on.py``
(PostgreSQL) and ``adapters/oidc.py`` (Authlib and joserfc)."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from jobline_jobs.service_layer.queries import Role


@dataclass(frozen=True)
class SignOnConfig:
    tenant_id: str
    issuer: str
    client_id: str
    client_secret: str
    new_user_role: Role | None  # None: no account is made for a stranger


@dataclass(frozen=True)
class SignOnChange:
    """The settings as an admin (page, API or CLI) gives them; ``client_secret`` None keeps
    the stored one."""

    tenant_id: str
    issuer: str
    client_id: str
    client_secret: str | None
    new_user_role: Role | None
    by: str  # the actor, as actions record it


@dataclass(frozen=True)
class SignOnShown:
    """The settings as an admin may read them: never the secret."""

    issuer: str
    client_id: str
    new_user_role: Role | None
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class Attempt:
    """A sign-in sent to the issuer, waiting for the browser to come back."""

    tenant_id: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class Identity:
    """Who the issuer's verified id token says signed in."""

    subject: str
    email: str
    email_verified: bool
    name: str | None


class SignOnFailed(Exception):
    """The issuer could not be reached, refused, or its answer did not verify; the message
    is for the log, not the person signing in."""


class IssuerUnreachable(SignOnFailed):
    """The issuer's discovery document could not be fetched (no answer, an error status)."""


class NotAnIssuer(SignOnFailed):
    """Something answered, but not as the OpenID Connect issuer it was said to be."""


class SignOnStore(ABC):
    @abstractmethod
    async def config(self, tenant_id: str) -> SignOnConfig | None: ...

    @abstractmethod
    async def shown(self, tenant_id: str) -> SignOnShown | None: ...

    @abstractmethod
    async def configure(self, change: SignOnChange) -> bool:
        """Keep the settings, the secret sealed; False (nothing kept) when the change has
        no secret and none is stored."""

    @abstractmethod
    async def remove(self, tenant_id: str) -> bool: ...

    @abstractmethod
    async def save_attempt(self, state_hash: bytes, attempt: Attempt, at: datetime) -> None:
        """Keep it; attempts older than a day are pruned meanwhile."""

    @abstractmethod
    async def take_attempt(self, state_hash: bytes, since: datetime) -> Attempt | None:
        """The attempt begun after ``since``, removed so its state works once."""


class IdentityProvider(ABC):
    @abstractmethod
    async def discover(self, issuer: str) -> None:
        """Fetch the issuer's discovery document afresh; ``IssuerUnreachable`` or
        ``NotAnIssuer`` if it is not one."""

    @abstractmethod
    async def authorization_url(self, config: SignOnConfig, attempt: Attempt, state: str) -> str:
        """Where to send the browser: the authorization code flow with PKCE (S256)."""

    @abstractmethod
    async def identity(self, config: SignOnConfig, attempt: Attempt, code: str) -> Identity:
        """Trade the code for tokens and verify the id token (signature by the issuer's
        JWKS, iss, aud, exp, nonce); ``SignOnFailed`` if anything does not hold."""

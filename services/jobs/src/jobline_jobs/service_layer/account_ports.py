"""The ports of accounts: where users, sessions and failed sign-ins are kept, and how
passwords and one-time codes are checked. Implemented in ``adapters/accounts.py`` and
``adapters/passwords.py``."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from jobline_jobs.domain.accounts import SessionPolicy
from jobline_jobs.service_layer.queries import Principal, Role

Scope = Literal["account", "address"]


@dataclass(frozen=True)
class User:
    user_id: UUID
    tenant_id: str
    email: str
    display_name: str
    role: Role
    created_at: datetime
    disabled: bool
    has_password: bool
    has_totp: bool


@dataclass(frozen=True)
class Credentials:
    """What sign-in checks: the user, their password's hash and TOTP secret."""

    user: User
    password_hash: str | None
    totp_secret: str | None


@dataclass(frozen=True)
class SessionEntry:
    session_id: UUID
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str


@dataclass(frozen=True)
class LiveSession:
    """A session's holder and whether it still waits for the second factor."""

    principal: Principal
    session_id: UUID
    second_factor_due: bool
    totp_secret: str | None
    email: str


class AccountStore(ABC):
    @abstractmethod
    async def credentials(self, email: str) -> Credentials | None: ...

    @abstractmethod
    async def failures(self, keys: dict[Scope, str], since: datetime) -> list[list[datetime]]:
        """The times of failed sign-ins since ``since``, one list per key, in its order."""

    @abstractmethod
    async def record_failure(self, keys: dict[Scope, str], at: datetime) -> None: ...

    @abstractmethod
    async def clear_failures(self, scope: Scope, key: str) -> None: ...

    @abstractmethod
    async def open_session(
        self,
        user_id: UUID,
        secret_hash: bytes,
        at: datetime,
        origin: tuple[str, str],
        *,
        second_factor_due: bool,
    ) -> None:
        """``origin``: the client's address and user agent."""

    @abstractmethod
    async def live_session(
        self, secret_hash: bytes, now: datetime, policy: SessionPolicy
    ) -> LiveSession | None:
        """The session if it is neither revoked nor lapsed, marked used at ``now``."""

    @abstractmethod
    async def pass_second_factor(self, session_id: UUID, new_hash: bytes) -> None:
        """The code was right: the session is whole, under a new secret."""

    @abstractmethod
    async def revoke(self, secret_hash: bytes, at: datetime) -> None: ...

    @abstractmethod
    async def revoke_all(self, user_id: UUID, at: datetime) -> int: ...

    @abstractmethod
    async def sessions(self, user_id: UUID, since: datetime) -> list[SessionEntry]:
        """The user's sessions neither revoked nor used last before ``since``."""

    @abstractmethod
    async def users(self, tenant_id: str) -> list[User]: ...

    @abstractmethod
    async def user(self, tenant_id: str, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def add_user(
        self, user: User, setup_hash: bytes, expires_at: datetime
    ) -> Literal["added", "email_taken", "unknown_tenant"]: ...

    @abstractmethod
    async def reset(self, user_id: UUID, setup_hash: bytes, expires_at: datetime) -> None:
        """Clear the password and second factor, end every session, issue a new link."""

    @abstractmethod
    async def disable(self, user_id: UUID, at: datetime) -> None:
        """No sign-in any more, every session ended."""

    @abstractmethod
    async def by_setup(self, setup_hash: bytes, now: datetime) -> User | None:
        """The user whose unexpired one-time link this is."""

    @abstractmethod
    async def set_password(self, user_id: UUID, password_hash: str) -> None:
        """Set the password and spend the one-time link."""

    @abstractmethod
    async def set_totp(self, user_id: UUID, secret: str | None) -> None: ...

    # Issue 18, the rest: a user's own password, an admin's role change, single sign-on.

    @abstractmethod
    async def revoke_others(self, user_id: UUID, keep_hash: bytes, at: datetime) -> int:
        """End every session of the user but the one whose secret hashes to ``keep_hash``."""

    @abstractmethod
    async def set_role(
        self, tenant_id: str, user_id: UUID, role: Role
    ) -> User | Literal["not_found", "last_admin"]:
        """Change the role, unless it would leave the tenant without an enabled admin
        (checked under a lock of the tenant's admins, so two demotions cannot cross)."""


class Secrets(ABC):
    """Password hashing and one-time codes (CPU-bound hashing runs off the event loop)."""

    @abstractmethod
    async def hash_password(self, password: str) -> str: ...

    @abstractmethod
    async def verify_password(self, password: str, password_hash: str | None) -> bool:
        """Whether it matches; with no hash, False after as long as a real check takes."""

    @abstractmethod
    def new_totp_secret(self) -> str: ...

    @abstractmethod
    def totp_uri(self, secret: str, email: str, issuer: str) -> str: ...

    @abstractmethod
    def totp_ok(self, secret: str, code: str, now: datetime) -> bool: ...

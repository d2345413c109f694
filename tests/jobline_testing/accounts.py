"""Users of the console for tests: invited and with a password chosen, as a person would
through the one-time link, optionally with two-step sign-in on."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pyotp

from jobline_jobs.adapters.accounts import PostgresAccounts
from jobline_jobs.adapters.passwords import Argon2Secrets
from jobline_jobs.domain.accounts import LockoutPolicy, SessionPolicy
from jobline_jobs.service_layer.accounts import Accounts, Lockouts
from jobline_jobs.service_layer.queries import Role
from jobline_jobs.service_layer.schedule import Clock, system_clock

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test user's
_SECRETS: list[Argon2Secrets] = []  # one per session: building it hashes a decoy


def secrets() -> Argon2Secrets:
    if not _SECRETS:
        _SECRETS.append(Argon2Secrets())
    return _SECRETS[0]


def accounts(
    pool: asyncpg.Pool,
    *,
    clock: Clock = system_clock,
    idle: timedelta = timedelta(hours=2),
    absolute: timedelta = timedelta(hours=12),
    attempts: int = 5,
    address_attempts: int = 20,
    window: timedelta = timedelta(minutes=15),
) -> Accounts:
    """The accounts service on ``pool`` with the service's defaults unless told."""
    return Accounts(
        PostgresAccounts(pool),
        secrets(),
        SessionPolicy(idle=idle, absolute=absolute),
        Lockouts(LockoutPolicy(attempts, window), LockoutPolicy(address_attempts, window)),
        clock=clock,
    )


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    user_id: UUID
    email: str
    name: str
    role: Role
    password: str
    totp_secret: str | None

    def code(self, at: datetime | None = None) -> str:
        assert self.totp_secret is not None
        return pyotp.TOTP(self.totp_secret).at(at or datetime.now(UTC))


async def make_user(
    pool: asyncpg.Pool,
    tenant_id: str,
    role: Role = "operator",
    name: str = "Olive Operator",
    *,
    totp: bool = False,
) -> TestUser:
    """A user who has chosen their password (and turned TOTP on, with ``totp``)."""
    service = accounts(pool)
    email = f"{name.split(maxsplit=1)[0].lower()}-{uuid4().hex[:8]}@example.com"
    user, link = await service.invite(tenant_id, email, name, role)
    await service.choose_password(link, PASSWORD)
    secret = None
    if totp:
        secret = pyotp.random_base32()
        assert await service.enable_totp(user.user_id, secret, pyotp.TOTP(secret).now())
    return TestUser(user.user_id, user.email, name, role, PASSWORD, secret)

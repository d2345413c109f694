"""Accounts as use cases: sign in (password, then the code when the user has TOTP), the
sessions of the console, lockout after failures, and an admin's invite, reset, disable."""

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from jobline_jobs.domain.accounts import (
    AccountRefused,
    LockoutPolicy,
    SessionPolicy,
    check_display_name,
    check_email,
    check_password,
    normal_email,
)
from jobline_jobs.service_layer.account_ports import AccountStore, Scope, Secrets, User
from jobline_jobs.service_layer.queries import Principal, Role
from jobline_jobs.service_layer.schedule import Clock, system_clock

SESSION_PREFIX = "jls_"  # tells a console session from an API token (jl_) at a glance


def welcome_link(base_url: str, link: str) -> str:
    """Where a user opens the one-time link of an invite or reset."""
    return f"{base_url.rstrip('/')}/welcome/{link}"


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class SignedIn:
    """A session opened: ``secret`` goes in the cookie. With ``second_factor_due`` it
    serves only the code step until the code is given."""

    secret: str
    second_factor_due: bool


@dataclass(frozen=True)
class Refused:
    message: str
    retry_after: int | None = None  # seconds, when locked out


@dataclass(frozen=True)
class Lockouts:
    account: LockoutPolicy
    address: LockoutPolicy


BAD_CREDENTIALS = "That email and password do not match an account."


class Accounts:
    def __init__(
        self,
        store: AccountStore,
        passwords: Secrets,
        sessions: SessionPolicy,
        lockouts: Lockouts,
        *,
        setup_ttl: timedelta = timedelta(days=3),
        clock: Clock = system_clock,
    ) -> None:
        self.store, self.secrets, self.policy = store, passwords, sessions
        self.lockouts, self.setup_ttl, self.clock = lockouts, setup_ttl, clock

    async def sign_in(
        self, email: str, password: str, address: str, agent: str
    ) -> SignedIn | Refused:
        keys: dict[Scope, str] = {"account": normal_email(email), "address": address}
        locked = await self.locked(keys)
        if locked is not None:
            return locked
        found = await self.store.credentials(keys["account"])
        hashed = found.password_hash if found is not None else None
        if not await self.secrets.verify_password(password, hashed) or found is None:
            return await self.failed(keys, BAD_CREDENTIALS)
        if found.user.disabled:
            return Refused("This account is disabled; ask an admin of your business.")
        due = found.totp_secret is not None
        if not due:  # with a code still to give, the password alone proves too little
            await self.store.clear_failures("account", keys["account"])
        return await self.open_session(found.user.user_id, (address, agent), due=due)

    async def second_factor(self, secret: str, code: str, address: str) -> SignedIn | Refused:
        """The code step of a session opened by the password of a user with TOTP."""
        live = await self.store.live_session(digest(secret), self.clock(), self.policy)
        if live is None or not live.second_factor_due or live.totp_secret is None:
            return Refused("The sign-in has expired; sign in again.")
        # Wrong codes count against the account as wrong passwords do (one count).
        keys: dict[Scope, str] = {"account": live.email, "address": address}
        locked = await self.locked(keys)
        if locked is not None:
            return locked
        if not self.secrets.totp_ok(live.totp_secret, code, self.clock()):
            return await self.failed(keys, "That code is not right; enter the current one.")
        await self.store.clear_failures("account", live.email)
        fresh = SESSION_PREFIX + secrets.token_urlsafe(32)
        await self.store.pass_second_factor(live.session_id, digest(fresh))
        return SignedIn(fresh, second_factor_due=False)

    async def principal(self, secret: str) -> Principal | None:
        """The signed-in user of a whole session; None if unknown, revoked or lapsed."""
        if not secret.startswith(SESSION_PREFIX) or len(secret) > 200:
            return None
        live = await self.store.live_session(digest(secret), self.clock(), self.policy)
        return None if live is None or live.second_factor_due else live.principal

    async def sign_out(self, secret: str) -> None:
        await self.store.revoke(digest(secret), self.clock())

    async def sign_out_everywhere(self, user_id: uuid.UUID) -> int:
        return await self.store.revoke_all(user_id, self.clock())

    async def sessions(self, user_id: uuid.UUID) -> list[tuple[uuid.UUID, datetime, datetime]]:
        live = await self.store.sessions(user_id, self.clock() - self.policy.idle)
        cutoff = self.clock() - self.policy.absolute
        return [(s.session_id, s.created_at, s.last_seen_at) for s in live if s.created_at > cutoff]

    async def invite(self, tenant_id: str, email: str, name: str, role: Role) -> tuple[User, str]:
        """A new user and the one-time link's secret that lets them choose a password."""
        user = User(
            uuid.uuid4(),
            tenant_id,
            check_email(email),
            check_display_name(name),
            role,
            self.clock(),
            disabled=False,
            has_password=False,
            has_totp=False,
        )
        link = secrets.token_urlsafe(32)
        added = await self.store.add_user(user, digest(link), self.clock() + self.setup_ttl)
        if added == "email_taken":
            raise AccountRefused("email_taken", f"{user.email} already has an account")
        if added == "unknown_tenant":
            raise AccountRefused("unknown_tenant", f"tenant {tenant_id!r} does not exist")
        return user, link

    async def reset(self, tenant_id: str, user_id: uuid.UUID) -> str:
        await self._user(tenant_id, user_id)
        link = secrets.token_urlsafe(32)
        await self.store.reset(user_id, digest(link), self.clock() + self.setup_ttl)
        return link

    async def disable(self, tenant_id: str, user_id: uuid.UUID) -> None:
        await self._user(tenant_id, user_id)
        await self.store.disable(user_id, self.clock())

    async def welcome(self, link: str) -> User | None:
        """The user a one-time link is for, while it holds."""
        return await self.store.by_setup(digest(link), self.clock())

    async def choose_password(self, link: str, password: str) -> User:
        check_password(password)
        user = await self.welcome(link)
        if user is None or user.disabled:
            raise AccountRefused("link_expired", "This link has been used or has expired.")
        await self.store.set_password(user.user_id, await self.secrets.hash_password(password))
        return user

    async def enable_totp(self, user_id: uuid.UUID, secret: str, code: str) -> bool:
        """Turn the second factor on once the user shows a code of ``secret``."""
        if not self.secrets.totp_ok(secret, code, self.clock()):
            return False
        await self.store.set_totp(user_id, secret)
        return True

    async def _user(self, tenant_id: str, user_id: uuid.UUID) -> User:
        found = await self.store.user(tenant_id, user_id)
        if found is None:
            raise AccountRefused("not_found", "there is no such user in this business")
        return found

    async def open_session(
        self, user_id: uuid.UUID, origin: tuple[str, str], *, due: bool
    ) -> SignedIn:
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        await self.store.open_session(
            user_id, digest(secret), self.clock(), origin, second_factor_due=due
        )
        return SignedIn(secret, due)

    async def locked(self, keys: dict[Scope, str]) -> Refused | None:
        now = self.clock()
        window = max(self.lockouts.account.window, self.lockouts.address.window)
        account, address = await self.store.failures(keys, now - window)
        for policy, times, whose in (
            (self.lockouts.account, account, "this account"),
            (self.lockouts.address, address, "your address"),
        ):
            until = policy.locked_until(times, now)
            if until is not None:
                wait = max(1, math.ceil((until - now).total_seconds()))
                return Refused(
                    f"Too many failed sign-ins for {whose}. Try again in {_minutes(wait)}.",
                    retry_after=wait,
                )
        return None

    async def failed(self, keys: dict[Scope, str], message: str) -> Refused:
        await self.store.record_failure(keys, self.clock())
        return (await self.locked(keys)) or Refused(message)


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"

"""Operators as people: who a user is, when a session has lapsed, when sign-in is locked,
and how an action names the user who took it. Pure: hashing and storage are adapters'."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

MIN_PASSWORD = 12
MAX_PASSWORD = 200  # argon2 takes any length; a bound keeps hashing a 1 MB "password" out
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountRefused(Exception):
    """A change to an account the rules do not allow; ``message`` is fit to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def normal_email(email: str) -> str:
    """The address as stored and compared: trimmed, lower case."""
    return email.strip().lower()


def check_email(email: str) -> str:
    found = normal_email(email)
    if len(found) > 254 or not _EMAIL.match(found):
        raise AccountRefused("invalid_email", f"{email.strip()!r} is not an email address")
    return found


def check_display_name(name: str) -> str:
    found = " ".join(name.split())
    if not 1 <= len(found) <= 100:
        raise AccountRefused("invalid_name", "a name is 1 to 100 characters")
    return found


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountRefused(
            "weak_password",
            f"a password is at least {MIN_PASSWORD} characters (this one has {len(password)})",
        )


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after ``idle`` without use, or ``absolute`` after sign-in, whichever
    comes first (checked where the session is looked up, in one statement)."""

    idle: timedelta
    absolute: timedelta

    @property
    def precision(self) -> timedelta:
        """How stale a session's last use may be recorded: idle expiry is this late at
        most, and a busy session is written to once per this."""
        return min(self.idle / 20, timedelta(minutes=1))


@dataclass(frozen=True)
class LockoutPolicy:
    """``attempts`` failures within ``window`` lock sign-in (for that account, or from that
    address) until the oldest of them is ``window`` old."""

    attempts: int
    window: timedelta

    def locked_until(self, failures: list[datetime], now: datetime) -> datetime | None:
        """When sign-in may be tried again, given the failures' times; None: now."""
        recent = sorted(at for at in failures if now - at < self.window)
        if len(recent) < self.attempts:
            return None
        return recent[-self.attempts] + self.window


def actor_of_user(role: str, user_id: UUID, display_name: str) -> str:
    """What an action by a signed-in user records as its actor: the role and the user's id
    (as a token's actor records the token's id), then the name the user had then."""
    return f"{role}:{user_id}:{display_name}"


def actor_name(actor: str | None) -> str | None:
    """The user's name recorded in ``actor``; None for a machine (a token, upstream)."""
    if actor is None:
        return None
    parts = actor.split(":", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None

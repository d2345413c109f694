"""Opaque keyset cursors. A cursor names the last row of a page and the query it belongs
to, so it cannot be replayed against other filters by mistake."""

import base64
import hashlib
import json
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from jobline_jobs.entrypoints.api.errors import ApiError

_encode = msgspec.json.encode


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode(scheduled_start: datetime, job_number: str, query: str) -> str:
    raw = _encode({"s": scheduled_start.isoformat(), "n": job_number, "q": query})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, query: str) -> tuple[datetime, str]:
    """The cursor's keyset; 422 for anything this API did not issue. A hand-built one
    never reaches PostgreSQL with what it cannot take: a NUL or a lone surrogate in the
    key, or a time that overflows when asyncpg converts it to UTC."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = (datetime.fromisoformat(raw["s"]), str(raw["n"]))
        belongs = raw["q"] == query
        after[0].astimezone(UTC)
        after[1].encode()
    except (ValueError, KeyError, TypeError, OverflowError) as error:
        raise not_ours() from error
    # Only what ``encode`` writes: an aware time in its own isoformat, a key without NUL.
    if after[0].tzinfo is None or after[0].isoformat() != raw["s"] or "\x00" in after[1]:
        raise not_ours()
    if not belongs:
        raise ApiError(422, "invalid_cursor", "cursor belongs to a list with other view or filters")
    return after


def encode_text(key: str, number: str, query: str) -> str:
    """A cursor whose sort key is text (a name, a number, an amount)."""
    raw = _encode({"t": key, "n": number, "q": query})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_text(cursor: str, query: str) -> tuple[str, str]:
    """``encode_text``'s keyset; 422 as ``decode`` refuses."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = (raw["t"], raw["n"])
        belongs = raw["q"] == query
    except (ValueError, KeyError, TypeError) as error:
        raise not_ours() from error
    if not all(isinstance(part, str) and _plain(part) for part in after):
        raise not_ours()
    if not belongs:
        raise ApiError(422, "invalid_cursor", "cursor belongs to a list with other view or filters")
    return after


def _plain(text: str) -> bool:
    """Text PostgreSQL takes: no NUL, no lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def decode_id(cursor: str, query: str) -> tuple[datetime, UUID]:
    """A cursor whose key is a row's id (lists ordered by time, then id)."""
    at, key = decode(cursor, query)
    try:
        return at, UUID(key)
    except ValueError as error:
        raise not_ours() from error


def not_ours() -> ApiError:
    return ApiError(422, "invalid_cursor", "cursor is not one this API issued")

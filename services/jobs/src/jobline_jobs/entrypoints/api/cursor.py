"""Opaque keyset cursors. A cursor names the last row of a page and the query it belongs
to, so it cannot be replayed against other filters by mistake."""

import base64
import hashlib
import json
from datetime import datetime

from jobline_jobs.entrypoints.api.errors import ApiError


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode(scheduled_start: datetime, job_number: str, query: str) -> str:
    raw = json.dumps({"s": scheduled_start.isoformat(), "n": job_number, "q": query})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, query: str) -> tuple[datetime, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = (datetime.fromisoformat(raw["s"]), str(raw["n"]))
        belongs = raw["q"] == query
    except (ValueError, KeyError, TypeError) as error:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API issued") from error
    if after[0].tzinfo is None:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API issued")
    if not belongs:
        raise ApiError(422, "invalid_cursor", "cursor belongs to a list with other view or filters")
    return after

"""A job's timeline a page at a time, either way round: the cursor is the last entry's
(at, entry id), bound to the query it came from."""

from datetime import datetime
from typing import Any

from jobline_jobs.entrypoints.api import cursor, schemas


def position(text: str | None, query: str) -> tuple[datetime, int] | None:
    """The entry a page goes on from, or 422 for a cursor not of this query."""
    if text is None:
        return None
    at, entry = cursor.decode(text, query)
    if not entry.isdigit() or len(entry) > 18:
        raise cursor.not_ours()
    return at, int(entry)


def page(entries: list[dict[str, Any]], limit: int, query: str) -> schemas.Timeline:
    """The entries, and the cursor to the next page when this one is full."""
    last = entries[-1] if len(entries) == limit else None
    return schemas.Timeline(
        items=[schemas.TimelineEntry(**e) for e in entries],
        next_cursor=None
        if last is None
        else cursor.encode(last["at"], str(last["entry_id"]), query),
    )

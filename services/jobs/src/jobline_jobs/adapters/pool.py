"""The service's PostgreSQL pool."""

from typing import Any

import asyncpg


async def keep_session(_conn: "asyncpg.Connection[Any]") -> None:
    """Nothing to reset on release: the adapters set no session state on pooled
    connections (no LISTEN, SET or lasting advisory lock: the outbox relay listens and
    holds its lanes on a connection of its own, a migration unlocks its lock itself), and
    asyncpg still rolls back a transaction left open. The default reset query was one
    more round trip on every use of the pool: 0.15-0.4 ms of each Jobs list page."""


async def create_pool(dsn: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, reset=keep_session
    )
    return pool

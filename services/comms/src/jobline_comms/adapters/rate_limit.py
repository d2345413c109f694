"""A per-sender rate limit that holds across worker processes, kept in PostgreSQL.

Each sender number has a row with the start of its next free slot. Taking a turn is
one atomic statement: the slot is ``greatest(now, next_slot_at)`` and the row moves one
interval on. Concurrent workers serialise on the row, so each gets its own slot, and
each then sleeps until its slot starts. Times come from the database clock only, so
workers' clocks need not agree. A turn taken by an attempt that is then not made
(another worker claimed first) is wasted: the limit errs on the slow side.
"""

import asyncio
from typing import Any

import asyncpg

from jobline_comms.service_layer.ports import RateLimiter


class PostgresRateLimiter(RateLimiter):
    """``per_second`` messages per second per sender; 0 turns the limit off."""

    def __init__(self, pool: "asyncpg.Pool[Any]", per_second: float) -> None:
        self._pool = pool
        self._interval = 1.0 / per_second if per_second > 0 else 0.0

    async def wait_turn(self, sender: str) -> None:
        """Reserve the sender's next slot and sleep until it starts."""
        if self._interval == 0:
            return
        wait = await self._pool.fetchval(
            """INSERT INTO comms.sender_slots AS s (sender, next_slot_at)
               VALUES ($1, clock_timestamp() + $2 * interval '1 second')
               ON CONFLICT (sender) DO UPDATE
               SET next_slot_at = greatest(clock_timestamp(), s.next_slot_at)
                   + $2 * interval '1 second'
               RETURNING extract(epoch FROM s.next_slot_at - $2 * interval '1 second'
                   - clock_timestamp())::float8""",
            sender,
            self._interval,
        )
        if wait and wait > 0:
            await asyncio.sleep(wait)

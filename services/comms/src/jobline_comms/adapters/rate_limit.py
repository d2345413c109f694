"""A per-sender rate limit that holds across worker processes, kept in PostgreSQL.

Each sender number has a row with the start of its next free slot. Taking a turn is
one atomic statement: the slot is ``greatest(now, next_slot_at)`` and the row moves one
interval on. Concurrent workers serialise on the row, so each gets its own slot, and
each then sleeps until its slot starts. Times come from the database clock only, so
workers' clocks need not agree. A turn taken by an attempt that is then not made
(another worker claimed first) is wasted: the limit errs on the slow side. Turns asked
for at once by the attempts in flight are taken together, k of a sender's in one go.
"""

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg

from jobline_comms.adapters.batching import Batcher
from jobline_comms.service_layer.ports import RateLimiter


class PostgresRateLimiter(RateLimiter):
    """``per_second`` messages per second per sender; 0 turns the limit off."""

    def __init__(self, pool: "asyncpg.Pool[Any]", per_second: float) -> None:
        self._pool = pool
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._turns = Batcher(self._take_turns)

    async def wait_turn(self, sender: str) -> None:
        """Reserve the sender's next slot and sleep until it starts."""
        if self._interval == 0:
            return
        wait = await self._turns(sender)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _take_turns(self, senders: Sequence[str]) -> list[float | Exception]:
        """The turns asked for at once, k of one sender's in one statement: the row moves
        k intervals on and the k slots follow each other from its old place. Seconds to
        wait for each turn, in order."""
        counts = Counter(senders)
        names = sorted(counts)  # rows locked in one order: concurrent workers never deadlock
        rows = await self._pool.fetch(
            """WITH want AS (SELECT * FROM unnest($1::text[], $2::int4[]) AS w(sender, n))
               INSERT INTO comms.sender_slots AS s (sender, next_slot_at)
               SELECT sender, clock_timestamp() + n * $3::float8 * interval '1 second'
               FROM want ORDER BY sender
               ON CONFLICT (sender) DO UPDATE
               SET next_slot_at = greatest(clock_timestamp(), s.next_slot_at)
                   + (SELECT n FROM want WHERE want.sender = excluded.sender)
                     * $3::float8 * interval '1 second'
               RETURNING s.sender,
                   extract(epoch FROM s.next_slot_at - clock_timestamp())::float8 AS until""",
            names,
            [counts[name] for name in names],
            self._interval,
        )
        # The first of a sender's k turns starts k intervals before its row's new value.
        first = {r["sender"]: r["until"] - counts[r["sender"]] * self._interval for r in rows}
        taken: Counter[str] = Counter()
        waits: list[float | Exception] = []
        for sender in senders:
            waits.append(first[sender] + taken[sender] * self._interval)
            taken[sender] += 1
        return waits

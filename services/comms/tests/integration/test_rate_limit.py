"""The per-sender rate limit holds across workers: two limiters on two pools (as two
processes would have) share one sender's slots."""

import asyncio
import time
import uuid

import asyncpg
import pytest

from jobline_comms.adapters.rate_limit import PostgresRateLimiter

pytestmark = pytest.mark.integration


async def test_two_limiters_share_one_senders_rate(comms_database_url):
    pools = [await asyncpg.create_pool(comms_database_url, min_size=1, max_size=6) for _ in "ab"]
    try:
        limiters = [PostgresRateLimiter(pool, per_second=10) for pool in pools]
        sender = f"+1500{uuid.uuid4().int % 10_000_000:07d}"
        finished: list[float] = []

        async def send(limiter: PostgresRateLimiter) -> None:
            await limiter.wait_turn(sender)
            finished.append(time.monotonic())

        started = time.monotonic()
        await asyncio.gather(*(send(limiters[i % 2]) for i in range(12)))
        # 12 turns at 10/s: the first at once, the last 1.1 s later, none closer than 0.1 s.
        assert time.monotonic() - started >= 1.0
        gaps = [b - a for a, b in zip(sorted(finished), sorted(finished)[1:], strict=False)]
        assert min(gaps) >= 0.07
    finally:
        for pool in pools:
            await pool.close()


async def test_other_senders_are_not_held_up_and_zero_is_off(comms_pool):
    busy, idle = (f"+1500{uuid.uuid4().int % 10_000_000:07d}" for _ in range(2))
    limiter = PostgresRateLimiter(comms_pool, per_second=1)
    await limiter.wait_turn(busy)
    started = time.monotonic()
    await limiter.wait_turn(idle)
    off = PostgresRateLimiter(comms_pool, per_second=0)
    for _ in range(5):
        await off.wait_turn(busy)
    assert time.monotonic() - started < 0.5

"""Waiting for a condition with a deadline: the alternative to sleeping and hoping."""

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 30.0, every: float = 0.1
) -> None:
    """Return as soon as ``check()`` is true; fail with AssertionError after ``within`` s."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s: {check.__name__}")
        await asyncio.sleep(every)

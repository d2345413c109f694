"""Applying a consumed message with retries: how every Jobline consumer treats failures.

Infrastructure failures (the caller says which) are retried with exponential backoff and
jitter and, past a budget, re-raised so the subscriber seeks back and the message comes
again later. Any other exception is a poison candidate: after a few crashes the caller is
told to dead-letter the message, so it never blocks its partition.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class GaveUp(Exception):
    """The handler kept crashing on this message; ``reason`` is for the dead letter."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.reason = str(self)


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: tuple[type[BaseException], ...],
    label: object,
    max_crashes: int = 3,
    max_transient_wait: float = 60.0,
) -> T:
    """``attempt()`` until it succeeds; raises the transient error past the wait budget,
    or :class:`GaveUp` after ``max_crashes`` other failures."""
    crashes, waited, delay = 0, 0.0, 0.1
    while True:
        try:
            return await attempt()
        except transient as error:
            if waited >= max_transient_wait:
                raise
            log.warning("transient failure on %s: %r; retrying", label, error)
        except Exception as error:
            crashes += 1
            log.exception("handler crashed on %s (%d)", label, crashes)
            if crashes >= max_crashes:
                raise GaveUp(error) from error
        pause = delay * (1 + random.random())  # noqa: S311 - jitter, not crypto
        await asyncio.sleep(pause)
        waited, delay = waited + pause, min(delay * 2, 5.0)

"""The retry policies of Jobline, on tenacity (see the README).

:func:`retrying` is every consumer's: infrastructure failures (the caller says which) are
retried with exponential backoff and jitter and, past a time budget, re-raised so the
subscriber seeks back and the message comes again later. Any other exception is a poison
candidate: after a few crashes the caller is told to dead-letter the message, so it never
blocks its partition. What is retried is logged here; what is given up on is the
caller's to log.

:func:`until_stopped` is the background loops' (outbox relays, the comms dispatcher):
their infrastructure's failures are retried with backoff for as long as the process runs.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

log = logging.getLogger(__name__)
T = TypeVar("T")

Transient = tuple[type[BaseException], ...]


class GaveUp(Exception):
    """The handler kept crashing on this message; ``reason`` is for the dead letter."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.reason = str(self)
        self.error = error


class _Budget(stop_base):
    """Two budgets in one stop: time for transient failures, a count for the others
    (tenacity's stock stops count every attempt alike)."""

    def __init__(self, transient: Transient, max_crashes: int, max_wait: float) -> None:
        self.transient, self._max_crashes, self._max_wait = transient, max_crashes, max_wait
        self.crashes = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, self.transient):
            return (retry_state.seconds_since_start or 0.0) >= self._max_wait
        self.crashes += 1
        return self.crashes >= self._max_crashes


def _log_retry(label: object, budget: _Budget) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause = state.upcoming_sleep
        if isinstance(error, budget.transient):
            log.warning("transient failure on %s: %r; retrying in %.2fs", label, error, pause)
        else:
            log.error("handler crashed on %s (%d)", label, budget.crashes, exc_info=error)

    return before_sleep


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: Transient,
    label: object,
    max_crashes: int = 3,
    max_transient_wait: float = 60.0,
) -> T:
    """``attempt()`` until it succeeds; raises the transient error past the wait budget,
    or :class:`GaveUp` after ``max_crashes`` other failures."""
    budget = _Budget(transient, max_crashes, max_transient_wait)
    retryer = AsyncRetrying(
        stop=budget,
        # 0.1 s doubling to 5 s, plus up to 0.1 s of jitter so replicas do not stampede
        wait=wait_exponential_jitter(multiplier=0.1, max=5.0, jitter=0.1),
        before_sleep=_log_retry(label, budget),
        reraise=True,
    )

    async def call() -> T:  # tenacity awaits only what it sees is a coroutine function
        return await attempt()

    try:
        return await retryer(call)
    except transient:
        raise
    except Exception as error:
        raise GaveUp(error) from error


def until_stopped(
    failures: Transient, stop: asyncio.Event, label: str, *, most: float = 10.0
) -> AsyncRetrying:
    """A retrier for a background loop's step: ``failures`` are retried with backoff
    (0.2 s doubling to ``most``, with jitter) until the step succeeds or ``stop`` is set,
    when the last failure is raised; a pause ends as soon as ``stop`` is set."""

    async def pause(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("%s: %r; retrying in %.1fs", label, error, state.upcoming_sleep)

    return AsyncRetrying(
        retry=retry_if_exception_type(failures),
        wait=wait_exponential_jitter(multiplier=0.2, max=most, jitter=0.2),
        stop=lambda _state: stop.is_set(),
        sleep=pause,
        before_sleep=before_sleep,
        reraise=True,
    )

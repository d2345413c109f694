"""Answers to unauthenticated probes, shared for a moment.

``/readyz`` and ``/metrics`` answer anyone, and each check reads the database: a flood of
them was a flood of queries. A readiness answer up to ``READINESS_SECONDS`` old and gauges
up to ``GAUGES_SECONDS`` old are served to everyone who asks meanwhile, and askers at the
same moment share one check (async-lru's single flight). Probes every few seconds still
see fresh answers.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from async_lru import alru_cache

READINESS_SECONDS = 1.0
GAUGES_SECONDS = 5.0

Check = TypeVar("Check", bound=Callable[..., Coroutine[Any, Any, Any]])


def shared_readiness(check: Check) -> Check:
    """Decorate a runtime's ``readiness()`` (its class must hash by identity)."""
    return alru_cache(maxsize=1, ttl=READINESS_SECONDS)(check)  # type: ignore[return-value]


@alru_cache(maxsize=1, ttl=GAUGES_SECONDS)
async def refreshed_gauges(refresh: Callable[[], Awaitable[object]]) -> None:
    """Run ``refresh`` (a runtime's bound ``refresh_metrics``) unless it ran recently."""
    await refresh()

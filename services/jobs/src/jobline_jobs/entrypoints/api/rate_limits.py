"""Rate limits at the HTTP edge: requests per API token (or console session). Moving
windows from the ``limits`` library, kept in this process's memory: each API replica
counts on its own (two replicas let a token through at up to twice the rate), which is
enough to stop one client from starving the others, without a round trip to PostgreSQL per
request. Failed console sign-ins are counted in PostgreSQL instead (the lockout of
``service_layer/accounts.py``): a lockout must hold whichever replica the next try hits."""

import math
import time

from fastapi import FastAPI, Request
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from jobline_jobs.config import DEFAULT_API, Settings, parse_rate_limit
from jobline_jobs.entrypoints.api.errors import ApiError, ErrorBody

RESPONSES: dict[int | str, dict[str, object]] = {
    429: {"model": ErrorBody, "description": "Too many requests; retry after Retry-After s"}
}


class RateLimits:
    """The limits of one API process (see the module)."""

    def __init__(self, api: str = DEFAULT_API) -> None:
        self._api = parse_rate_limit(api)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def of_settings(cls, settings: Settings) -> "RateLimits":
        return cls(settings.api_rate_limit)

    async def spend_api(self, token_id: str) -> None:
        """Count one request of the token; 429 with Retry-After once a window is full."""
        for item in self._api:
            if not await self._limiter.hit(item, "api", token_id):
                retry = await self._retry_after(item, "api", token_id)
                raise _too_many(f"too many requests with this API token (at most {item})", retry)

    async def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self._limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))


def _too_many(message: str, retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"{message}; retry after {retry_after} s",
        details={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def install(app: FastAPI, limits: RateLimits) -> None:
    app.state.rate_limits = limits


def of(request: Request) -> RateLimits:
    found: RateLimits = request.app.state.rate_limits
    return found


def client_address(request: Request) -> str:
    """The caller's address: uvicorn sets it from X-Forwarded-For when the proxy is one
    of FORWARDED_ALLOW_IPS, otherwise it is the socket's peer."""
    return request.client.host if request.client else "unknown"

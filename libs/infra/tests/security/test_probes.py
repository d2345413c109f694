"""Unauthenticated probes in a flood: one check shared, not one query each."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_infra.probes import shared_readiness

pytestmark = pytest.mark.unit


class Runtime:
    def __init__(self) -> None:
        self.gauge_reads = self.readiness_checks = 0

    async def refresh_metrics(self) -> None:
        self.gauge_reads += 1
        await asyncio.sleep(0.01)

    @shared_readiness
    async def readiness(self) -> dict[str, str]:
        self.readiness_checks += 1
        await asyncio.sleep(0.01)
        return {"database": "ok"}


async def test_a_flood_of_scrapes_reads_the_gauges_once():
    app = FastAPI()
    app.add_middleware(ObservabilityMiddleware)
    app.state.runtime = runtime = Runtime()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await asyncio.gather(*(client.get("/metrics") for _ in range(100)))
    assert {a.status_code for a in answers} == {200}
    assert runtime.gauge_reads == 1


async def test_a_flood_of_readiness_probes_checks_once():
    runtime = Runtime()
    answers = await asyncio.gather(*(runtime.readiness() for _ in range(100)))
    assert answers == [{"database": "ok"}] * 100
    assert runtime.readiness_checks == 1

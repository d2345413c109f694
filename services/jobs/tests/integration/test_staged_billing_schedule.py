"""Staged billing runs on its dates: subjobs dated 1, 3 and 5 days ahead become billable on
those dates in the tenant's zone, driven by an injectable clock, across restarts of the
jobs app (its real lifespan: pool, relay and scheduler stopped and started again; the
schedule lives in PostgreSQL)."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from jobline_jobs.bootstrap import create_app
from jobline_jobs.config import Settings
from jobs_testing.api import TenantSeeder
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
# Sydney's midnight is mid-afternoon in UTC: a date taken in UTC would be a day off.
ZONE = "Australia/Sydney"


class SteppedClock:
    """What the scheduler takes as now; counts its readings, so a test knows a tick ran."""

    def __init__(self, now: datetime) -> None:
        self.now, self.readings = now, 0

    def __call__(self) -> datetime:
        self.readings += 1
        return self.now


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.05)


async def ticks(clock: SteppedClock, n: int = 2) -> None:
    """Wait until the scheduler has read the clock ``n`` more times (ran ``n`` rounds)."""
    seen = clock.readings

    async def ran() -> bool:
        return clock.readings >= seen + n

    await until(ran, f"{n} scheduler rounds")


@asynccontextmanager
async def jobs_app(settings: Settings, clock: SteppedClock, token: str) -> AsyncIterator[Any]:
    """The jobs app with its lifespan (API, relay and scheduler), and a client of its API."""
    app = create_app(settings, clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://jobs.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as api,
    ):
        yield api


def midnight(day: date) -> datetime:
    return datetime.combine(day, clock_time(), ZoneInfo(ZONE))


async def billable(api: httpx.AsyncClient) -> set[str]:
    page = (await api.get("/v1/jobs", params={"view": "awaiting_billing"})).json()
    return {row["number"] for row in page["items"]}


@pytest.mark.timeout(180)
async def test_subjobs_become_billable_on_their_dates_across_restarts(
    own_database_url: str, kafka_bootstrap: str, tmp_path: Path
):
    settings = Settings(
        JOBLINE_JOBS_DATABASE_URL=own_database_url,
        JOBLINE_JOBS_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        roles=("api", "relay"),
        topic_prefix=f"staged-{uuid.uuid4().hex[:8]}.",
        blob_url=(tmp_path / "blobs").as_uri(),
    )
    pool = await asyncpg.create_pool(own_database_url, min_size=1, max_size=2)
    try:
        t = await TenantSeeder(pool, "harbour", ZONE).create()
        parent = await t.job(datetime.now(UTC), steps=3, lines=(line("1", "1000.00"),))
    finally:
        await pool.close()
    today = datetime.now(ZoneInfo(ZONE)).date()
    dates = {
        f"{parent.job_number}-{n}": today + timedelta(days=d) for n, d in ((1, 1), (2, 3), (3, 5))
    }
    clock = SteppedClock(datetime.now(UTC))

    async with jobs_app(settings, clock, t.token) as api:
        for (number, day), percent in zip(dates.items(), ("20", "20", "60"), strict=True):
            answer = await api.post(
                f"/v1/jobs/{parent.job_id}/subjobs",
                json={"title": number, "share": {"percent": percent}, "bill_on": str(day)},
            )
            assert answer.status_code == 201, answer.text
        await ticks(clock)
        assert await billable(api) == {parent.job_number}

    seen: set[str] = {parent.job_number}
    for number, day in dates.items():
        # A restart before each date: the schedule is in PostgreSQL, not in the process.
        async with jobs_app(settings, clock, t.token) as api:
            clock.now = midnight(day) - timedelta(seconds=1)  # the eve, in Sydney
            await ticks(clock)
            assert await billable(api) == seen, f"{number} before {day}"
            clock.now = midnight(day)
            seen.add(number)

            async def moved(api: httpx.AsyncClient = api) -> bool:
                return await billable(api) == seen

            await until(moved, f"{number} billable on {day}")

    async with jobs_app(settings, clock, t.token) as api:
        statement = (await api.get(f"/v1/jobs/{parent.job_id}/statement")).json()
        timelines = {
            s["number"]: (await api.get(f"/v1/jobs/{s['id']}/timeline")).json()["items"]
            for s in statement["stages"]
        }
    assert [s["billable"] for s in statement["stages"]] == [True, True, True]
    for number, day in dates.items():
        became = [e for e in timelines[number] if e["type"] == "subjob.became_billable"]
        assert len(became) == 1, number  # once, whatever the restarts
        assert became[0]["actor"] == "scheduler"
        assert became[0]["details"]["bill_on"] == str(day)
        at = datetime.fromisoformat(became[0]["at"])
        assert at.astimezone(ZoneInfo(ZONE)).date() == day  # on its date, in the tenant's zone

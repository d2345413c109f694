"""Benchmark: the Jobs list at 1,000,000 jobs (100 tenants, the largest with 200,000).

For the largest tenant and each of the eight views: the first page (limit 50) and a deep
page (the cursor reached by following ``next_cursor`` 20 times), and ``GET /v1/jobs/views``.
Each is timed over HTTP against the real service process (the standard library's
``http.client`` on one kept-alive connection — the thinnest Python client, as asyncpg is on
the SQL side; httpx alone added ~0.25 ms a request — one request at a time, after a
warm-up) and as the very same SQL, by calling the app's ``JobQueries``
with the same arguments on an asyncpg pool: the difference is what the HTTP layer costs.
"""

import asyncio
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg

from bench import explain, jobs_report, jobs_seed
from bench.common import BenchResult, Stats, sample, sample_async, say, setting
from bench.jobs_data import LARGEST_TENANT
from bench.jobs_report import Measured, ViewResult
from bench.service import JobsService
from jobline_jobs.adapters.job_queries import JobQueries, ListQuery
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain.views import View

LIMIT, DEPTH = 50, 20  # rows per page; next_cursor followed this often to the deep page
_RUNS = {"warmup": 20, "samples": 200}  # per figure, one request at a time


@dataclass(frozen=True)
class Side:
    """What one way of asking (HTTP or SQL) measured."""

    counts: Stats
    first: dict[View, Stats] = field(default_factory=dict)
    deep: dict[View, Stats] = field(default_factory=dict)
    # The deep page's first job number: both sides must have timed the same page.
    deep_first: dict[View, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpRun:
    side: Side
    counts: dict[View, int]  # as GET /v1/jobs/views reported them
    depths: dict[View, int]  # next_cursor followed this many times to the deep page
    floor: Stats  # GET /healthz: client, server and framework, no database, no auth


def run() -> BenchResult:
    started = time.perf_counter()
    seeding = asyncio.run(jobs_seed.ensure(setting("DATABASE_URL")))
    token, zone, postgres = asyncio.run(_prepare(seeding.url))
    with JobsService(seeding.url, setting("KAFKA_BOOTSTRAP_SERVERS")) as service:
        say(f"jobs service ready on {service.url}; timing HTTP")
        http = _measure_http(service.url, token)
        say("timing the same SQL through asyncpg")
        sql = asyncio.run(_measure_sql(seeding.url, zone, http.depths))
    if http.side.deep_first != sql.deep_first:
        raise RuntimeError(
            f"HTTP and SQL deep pages differ: {http.side.deep_first} {sql.deep_first}"
        )
    views = [
        ViewResult(
            view=view,
            count=http.counts[view],
            first=Measured(http.side.first[view], sql.first[view]),
            deep=Measured(http.side.deep[view], sql.deep[view]),
            depth=http.depths[view],
        )
        for view in View
    ]
    slowest = max(views, key=lambda v: v.first.http.p95).view
    plan = asyncio.run(
        explain.page_plan(seeding.url, LARGEST_TENANT, zone, ListQuery(slowest, limit=LIMIT))
    )
    setup = jobs_report.Setup(
        seeding, postgres, zone, http.floor, plan, time.perf_counter() - started
    )
    return jobs_report.result(views, Measured(http.side.counts, sql.counts), setup)


async def _prepare(url: str) -> tuple[str, str, str]:
    """A viewer token for the largest tenant (earlier bench tokens deleted), its zone, and
    the server's version."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM jobs.api_tokens WHERE label = 'bench'")
        token = await issue_token(conn, LARGEST_TENANT, "viewer", "bench")
        zone = await conn.fetchval(
            "SELECT time_zone FROM jobs.tenants WHERE tenant_id = $1", LARGEST_TENANT
        )
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return token, zone, f"PostgreSQL {version.split()[0]}"


def _measure_http(url: str, token: str) -> HttpRun:
    """Every view's first and deep page and the counts, over HTTP."""
    depths = {}
    with _KeptAlive(url, token) as client:
        get = client.get
        views = get("/v1/jobs/views")["views"]
        counts = {View(v["view"]): v["count"] for v in views}
        floor = sample(partial(get, "/healthz"), **_RUNS)
        side = Side(counts=sample(partial(get, "/v1/jobs/views"), **_RUNS))
        for view in View:
            first: dict[str, Any] = {"view": view.value, "limit": LIMIT}
            side.first[view] = sample(partial(get, "/v1/jobs", first), **_RUNS)
            params, depths[view] = _follow(get, first)
            side.deep[view] = sample(partial(get, "/v1/jobs", params), **_RUNS)
            items = get("/v1/jobs", params)["items"]
            side.deep_first[view] = items[0]["number"] if items else None
    return HttpRun(side, counts, depths, floor)


def _follow(
    get: Callable[..., dict[str, Any]], params: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """Follow next_cursor up to DEPTH times: the deep page's parameters and its depth."""
    for depth in range(DEPTH):
        cursor = get("/v1/jobs", params)["next_cursor"]
        if cursor is None:  # a short view: its last page is as deep as it goes
            return params, depth
        params = {**params, "cursor": cursor}
    return params, DEPTH


class _KeptAlive:
    """GET over one persistent connection; each answer read in full and parsed, as a
    client of the API would."""

    def __init__(self, url: str, token: str) -> None:
        address = urlsplit(url)
        self._conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}"}

    def __enter__(self) -> "_KeptAlive":
        return self

    def __exit__(self, *_exc: object) -> None:
        self._conn.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._conn.request(
            "GET", f"{path}?{urlencode(params)}" if params else path, headers=self._headers
        )
        response = self._conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} {params}: {response.status} {body[:200]!r}")
        answer: dict[str, Any] = json.loads(body)
        return answer


async def _measure_sql(url: str, zone: str, depths: dict[View, int]) -> Side:
    """The same reads as ``JobQueries`` runs them for the API, with the same arguments."""
    async with asyncpg.create_pool(url, min_size=1, max_size=2) as pool:
        queries = JobQueries(pool)
        side = Side(
            counts=await sample_async(partial(queries.counts, LARGEST_TENANT, zone), **_RUNS)
        )
        for view in View:
            page = partial(queries.page, LARGEST_TENANT, zone)
            side.first[view] = await sample_async(
                partial(page, ListQuery(view, limit=LIMIT)), **_RUNS
            )
            after: tuple[datetime, str] | None = None
            for _ in range(depths[view]):  # as many pages as the HTTP side followed
                rows, _more = await page(ListQuery(view, limit=LIMIT, after=after))
                after = (rows[-1]["scheduled_start"], rows[-1]["job_number"])
            deep = ListQuery(view, limit=LIMIT, after=after)
            side.deep[view] = await sample_async(partial(page, deep), **_RUNS)
            rows, _more = await page(deep)
            side.deep_first[view] = rows[0]["job_number"] if rows else None
    return side

"""Benchmark: the Jobs list at 1,000,000 jobs (100 tenants, the largest with 200,000).

For the largest tenant and each of the views: the first page (limit 50) and a deep
page (the cursor reached by following ``next_cursor`` 20 times), and ``GET /v1/jobs/views``.
Each is timed over HTTP against the real service process (the standard library's
``http.client`` on one kept-alive connection — the thinnest Python client, as asyncpg is on
the SQL side; httpx alone added ~0.25 ms a request — one request at a time, up to the last
byte of the body) and as the very same SQL, by calling the app's ``JobQueries`` with the
same arguments on an asyncpg pool made as the app makes its own (``adapters.pool``: no
reset query on release): the difference is what the HTTP layer costs. The two
sides take turns in small blocks (see ``paired``)."""

import asyncio
import http.client
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import asyncpg

from bench import explain, jobs_list_sorts, jobs_report, jobs_seed
from bench.common import BenchResult, Stats, sample, say, setting
from bench.jobs_data import LARGEST_TENANT
from bench.jobs_report import Measured, ViewResult
from bench.service import JobsService
from jobline_jobs.adapters.job_queries import JobQueries, ListQuery
from jobline_jobs.adapters.pool import create_pool
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain.views import View
from jobline_jobs.service_layer.queries import PageRow

LIMIT, DEPTH = 50, 20  # rows per page; next_cursor followed this often to the deep page
_RUNS = {"warmup": 20, "samples": 400}  # per figure and side, one request at a time
_BLOCK = 5  # requests of one side before the other side's turn


@dataclass
class Run:
    """Everything measured: HTTP and SQL side by side for each figure."""

    counts: dict[View, int]  # as GET /v1/jobs/views reported them
    floor: Stats  # GET /healthz: client, server and framework, no database, no auth
    view_counts: Measured  # GET /v1/jobs/views and JobQueries.counts()
    first: dict[View, Measured] = field(default_factory=dict)
    deep: dict[View, Measured] = field(default_factory=dict)
    depths: dict[View, int] = field(default_factory=dict)  # next_cursor followed this often


def run() -> BenchResult:
    started = time.perf_counter()
    seeding = asyncio.run(jobs_seed.ensure(setting("DATABASE_URL")))
    token, zone, postgres = asyncio.run(_prepare(seeding.url))
    with JobsService(seeding.url, setting("KAFKA_BOOTSTRAP_SERVERS")) as service:
        say(f"jobs service ready on {service.url}; timing HTTP and SQL, request by request")
        measured = asyncio.run(_measure(service.url, token, seeding.url, zone))
        combos = asyncio.run(_sorts(service.url, token, seeding.url, zone))
        say("streaming the CSV export of the largest tenant")
        assert service.process is not None  # noqa: S101 - started on entry
        exported = jobs_list_sorts.export(service.url, token, service.process.pid)
    views = [
        ViewResult(
            view=view,
            count=measured.counts[view],
            first=measured.first[view],
            deep=measured.deep[view],
            depth=measured.depths[view],
        )
        for view in View
    ]
    slowest = max(views, key=lambda v: v.first.http.p95).view
    plan = asyncio.run(
        explain.page_plan(seeding.url, LARGEST_TENANT, zone, ListQuery(slowest, limit=LIMIT))
    )
    setup = jobs_report.Setup(
        seeding, postgres, zone, measured.floor, plan, time.perf_counter() - started
    )
    result = jobs_report.result(views, measured.view_counts, setup)
    figures = {k: round(v, 3) for k, v in jobs_list_sorts.figures(combos, exported).items()}
    return BenchResult(
        {**result.figures, **figures},
        result.markdown + "\n" + jobs_list_sorts.markdown(combos, exported),
    )


async def _sorts(
    http_url: str, token: str, database_url: str, zone: str
) -> list[jobs_list_sorts.Combo]:
    """Every sort of every view and filter: first pages, HTTP and SQL paired."""
    async with await create_pool(database_url, min_size=1, max_size=2) as pool:
        technician = await pool.fetchval(
            """SELECT technician_id FROM jobs.jobs WHERE tenant_id = $1
                GROUP BY technician_id ORDER BY count(*) DESC LIMIT 1""",
            LARGEST_TENANT,
        )
        page = partial(JobQueries(pool).page, LARGEST_TENANT, zone)
        today = datetime.now(ZoneInfo(zone)).date()
        with _KeptAlive(http_url, token) as client:
            return await jobs_list_sorts.measure(
                partial(client.get, "/v1/jobs"),
                page,
                paired_samples,
                zone,
                cases=jobs_list_sorts.filters(today, technician),
            )


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


async def _measure(http_url: str, token: str, database_url: str, zone: str) -> Run:
    """Every view's first and deep page and the counts, each as HTTP and SQL pairs."""
    async with await create_pool(database_url, min_size=1, max_size=2) as pool:
        queries = JobQueries(pool)
        page = partial(queries.page, LARGEST_TENANT, zone)
        with _KeptAlive(http_url, token) as client:
            get = client.get_json
            counts = {View(v["view"]): v["count"] for v in get("/v1/jobs/views")["views"]}
            run = Run(
                counts=counts,
                floor=sample(partial(client.get, "/healthz"), **_RUNS),
                view_counts=await paired(
                    partial(client.get, "/v1/jobs/views"),
                    partial(queries.counts, LARGEST_TENANT, zone),
                ),
            )
            for view in View:
                first: dict[str, Any] = {"view": view.value, "limit": LIMIT}
                run.first[view] = await paired(
                    partial(client.get, "/v1/jobs", first),
                    partial(page, ListQuery(view, limit=LIMIT)),
                )
                params, run.depths[view] = _follow(get, first)
                after = await _follow_sql(page, view, run.depths[view])
                http_first = get("/v1/jobs", params)["items"][:1]
                sql_first = (await page(ListQuery(view, limit=LIMIT, after=after)))[0][:1]
                if [i["number"] for i in http_first] != [r["job_number"] for r in sql_first]:
                    raise RuntimeError(f"{view}: HTTP and SQL deep pages differ")
                run.deep[view] = await paired(
                    partial(client.get, "/v1/jobs", params),
                    partial(page, ListQuery(view, limit=LIMIT, after=after)),
                )
    return run


async def paired(
    over_http: Callable[[], object],
    as_sql: Callable[[], Awaitable[object]],
    runs: dict[str, int] = _RUNS,
) -> Measured:
    """Both sides in alternating blocks of ``_BLOCK``: a busy moment of the shared machine
    falls on both alike. Timed one whole side after the other, the worst view's ratio
    wandered from 1.8 to 2.5 between runs; request by request, each side ran just after
    the other had cooled its caches, which slowed the SQL side most (its p50 rose by about
    0.1 ms). Blocks of five keep each side warm and the ratio steady."""
    http_ms, sql_ms = await paired_samples(over_http, as_sql, runs)
    return Measured(Stats.of(http_ms), Stats.of(sql_ms))


async def paired_samples(
    over_http: Callable[[], object],
    as_sql: Callable[[], Awaitable[object]],
    runs: dict[str, int],
) -> tuple[list[float], list[float]]:
    """``paired``'s samples (ms), HTTP's and SQL's, before they are summed up."""
    for _ in range(runs["warmup"]):
        over_http()
        await as_sql()
    http_ms: list[float] = []
    sql_ms: list[float] = []
    for _ in range(runs["samples"] // _BLOCK):
        for _ in range(_BLOCK):
            started = time.perf_counter()
            over_http()
            http_ms.append((time.perf_counter() - started) * 1000)
        for _ in range(_BLOCK):
            started = time.perf_counter()
            await as_sql()
            sql_ms.append((time.perf_counter() - started) * 1000)
    return http_ms, sql_ms


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


async def _follow_sql(
    page: Callable[[ListQuery], Awaitable[tuple[Sequence[PageRow], bool]]],
    view: View,
    depth: int,
) -> tuple[datetime, str] | None:
    """The keyset position of the deep page, reached as the HTTP side reached it."""
    after: tuple[datetime, str] | None = None
    for _ in range(depth):
        rows, _more = await page(ListQuery(view, limit=LIMIT, after=after))
        after = (rows[-1]["scheduled_start"], rows[-1]["job_number"])
    return after


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

    def get(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """The whole answer's body: what is timed ends with its last byte."""
        self._conn.request(
            "GET", f"{path}?{urlencode(params)}" if params else path, headers=self._headers
        )
        response = self._conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} {params}: {response.status} {body[:200]!r}")
        return body

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.get(path, params))
        return answer

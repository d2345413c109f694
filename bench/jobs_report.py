"""The Jobs list benchmark's figures (flat names → numbers) and its results.md section."""

from dataclasses import dataclass

from bench.common import BenchResult, Stats, git_commit, machine, now_utc
from bench.jobs_data import JOBS, LARGEST, LARGEST_TENANT, TENANTS
from bench.jobs_seed import DATABASE, Seeding
from jobline_jobs.domain.views import View

FIRST_PAGE_P95_MS, COUNTS_P95_MS, HTTP_SQL_RATIO = 10.0, 50.0, 2.0  # issue 18's bars
TITLE = f"Jobs list ({JOBS:,} jobs, {TENANTS} tenants, largest {LARGEST:,})"


@dataclass(frozen=True)
class Measured:
    """One read, over HTTP and as the app's SQL."""

    http: Stats
    sql: Stats

    @property
    def ratio(self) -> float:
        return self.http.p50 / self.sql.p50


@dataclass(frozen=True)
class ViewResult:
    view: View
    count: int
    first: Measured
    deep: Measured
    depth: int  # next_cursor followed this many times to reach the deep page


@dataclass(frozen=True)
class Setup:
    seeding: Seeding
    postgres: str
    zone: str
    http_floor: Stats  # GET /healthz
    plan: str  # EXPLAIN ANALYZE of the slowest first page
    seconds: float  # the whole benchmark, seeding included


def result(views: list[ViewResult], counts: Measured, setup: Setup) -> BenchResult:
    return BenchResult(_figures(views, counts, setup), _markdown(views, counts, setup))


def _figures(views: list[ViewResult], counts: Measured, setup: Setup) -> dict[str, float]:
    figures = {
        "list_first_page_p50_ms": max(v.first.http.p50 for v in views),
        "list_first_page_p95_ms": max(v.first.http.p95 for v in views),
        "list_deep_page_p50_ms": max(v.deep.http.p50 for v in views),
        "list_deep_page_p95_ms": max(v.deep.http.p95 for v in views),
        "list_first_page_sql_p95_ms": max(v.first.sql.p95 for v in views),
        "views_counts_p50_ms": counts.http.p50,
        "views_counts_p95_ms": counts.http.p95,
        "views_counts_sql_p50_ms": counts.sql.p50,
        "views_counts_sql_p95_ms": counts.sql.p95,
        "list_http_sql_ratio": max(v.first.ratio for v in views),
        "list_http_sql_ratio_aggregate": _aggregate_ratio(views),
        "list_http_overhead_p50_ms": _overhead(views),
        "http_floor_p50_ms": setup.http_floor.p50,
        "jobs_list_run_s": setup.seconds,
    }
    figures["jobs_list_seed_s"] = setup.seeding.seconds  # of the run that seeded
    for v in views:
        for page, measured in (("first", v.first), ("deep", v.deep)):
            for side, stats in (("", measured.http), ("_sql", measured.sql)):
                figures[f"list_{page}_page{side}_p50_ms.{v.view}"] = stats.p50
                figures[f"list_{page}_page{side}_p95_ms.{v.view}"] = stats.p95
        figures[f"list_http_sql_ratio.{v.view}"] = v.first.ratio
        figures[f"list_count.{v.view}"] = v.count
    return {name: round(value, 3) for name, value in figures.items()}


def _overhead(views: list[ViewResult]) -> float:
    return max(v.first.http.p50 - v.first.sql.p50 for v in views)


def _aggregate_ratio(views: list[ViewResult]) -> float:
    return sum(v.first.http.p50 for v in views) / sum(v.first.sql.p50 for v in views)


def _markdown(views: list[ViewResult], counts: Measured, setup: Setup) -> str:
    slowest = max(views, key=lambda v: v.first.http.p95)
    widest = max(views, key=lambda v: v.first.ratio)
    seeding = (
        f"seeded in {setup.seeding.seconds:.0f} s by this run"
        if setup.seeding.seeded
        else f"reused (seeded {setup.seeding.seeded_at:%Y-%m-%d %H:%M} UTC in "
        f"{setup.seeding.seconds:.0f} s; marker row in `bench.seed`)"
    )
    lines = [
        f"## {TITLE}",
        "",
        f"Run {now_utc()} · commit `{git_commit()}` · {machine()} · {setup.postgres} · "
        f"command `make bench` · {setup.seconds:.0f} s in all.",
        "",
        f"Database `{DATABASE}`: {seeding}. Measured as tenant `{LARGEST_TENANT}` "
        f"({LARGEST:,} jobs, {setup.zone}) with a viewer token. Each figure: 20 warm-up "
        "requests, then 400 sequential requests on one keep-alive connection; p50/p95 in ms. "
        "HTTP: the jobs service process (`python -m jobline_jobs.cli serve`, default "
        "settings), timed at the client up to the last byte of the body (the client's own "
        "JSON parsing is not the service's time). SQL: the app's "
        "`JobQueries.page()` / `.counts()` called with the same arguments on an asyncpg "
        "pool made as the app makes its own (no reset query on release), in the same "
        "process. The two sides take turns in blocks of five, so a busy "
        "moment of the shared machine falls on both alike. Deep page: the page reached by "
        "following `next_cursor` 20 times (page 21), "
        "or the last page of a shorter view.",
        "",
        "### Targets",
        "",
        "| target | measured | bar | result |",
        "|---|---|---|---|",
        _target(
            "first page p95, worst view (HTTP)",
            slowest.first.http.p95,
            FIRST_PAGE_P95_MS,
            f"{slowest.first.http.p95:.2f} ms (`{slowest.view}`)",
            f"≤ {FIRST_PAGE_P95_MS:.0f} ms",
        ),
        _target(
            "view counts p95 (HTTP)",
            counts.http.p95,
            COUNTS_P95_MS,
            f"{counts.http.p95:.2f} ms",
            f"≤ {COUNTS_P95_MS:.0f} ms",
        ),
        _target(
            "HTTP/SQL p50 ratio, first pages, worst view",
            widest.first.ratio,
            HTTP_SQL_RATIO,
            f"{widest.first.ratio:.2f} (`{widest.view}`)",
            f"≤ {HTTP_SQL_RATIO:.0f}",
        ),
        "",
        f"Over all {len(views)} first pages together (sum of HTTP p50 / sum of SQL p50) the "
        "ratio is "
        f"{_aggregate_ratio(views):.2f}. What HTTP adds in absolute terms (HTTP p50 minus SQL "
        f"p50, worst first page): {_overhead(views):.2f} ms.",
        "",
        f"For scale: `GET /healthz` (no database, no token) takes {setup.http_floor.p50:.2f} ms "
        f"at p50 through the same client: the floor under every HTTP figure.",
        "",
        "### First page (limit 50)",
        "",
        "| view | jobs in view | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 | HTTP/SQL p50 |",
        "|---|--:|--:|--:|--:|--:|--:|",
        *(f"| `{v.view}` | {v.count:,} | {_cells(v.first)} | {v.first.ratio:.2f} |" for v in views),
        "",
        "### Deep page",
        "",
        "| view | page | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 |",
        "|---|--:|--:|--:|--:|--:|",
        *(f"| `{v.view}` | {v.depth + 1} | {_cells(v.deep)} |" for v in views),
        "",
        "### View counts (`GET /v1/jobs/views`)",
        "",
        "| HTTP p50 | HTTP p95 | SQL p50 | SQL p95 |",
        "|--:|--:|--:|--:|",
        f"| {_cells(counts)} |",
        "",
        f"### Plan of the slowest first page (`{slowest.view}`)",
        "",
        "The app's own statement and arguments, `EXPLAIN (ANALYZE, BUFFERS)` after three warm "
        "runs (a custom plan for these values).",
        "",
        "```",
        setup.plan,
        "```",
    ]
    return "\n".join(lines) + "\n"


def _target(name: str, value: float, bar: float, shown: str, bar_shown: str) -> str:
    verdict = "pass" if value <= bar else "**FAIL**"
    return f"| {name} | {shown} | {bar_shown} | {verdict} |"


def _cells(measured: Measured) -> str:
    h, s = measured.http, measured.sql
    return f"{h.p50:.2f} | {h.p95:.2f} | {s.p50:.2f} | {s.p95:.2f}"

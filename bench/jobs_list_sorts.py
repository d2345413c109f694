"""Benchmark: the Jobs list's sorts and filters, and its CSV export (issue 18, item 5).

Every sort in both orders, on every view and with each filter (a technician, today, the
next seven days, balance due), first page (limit 50) of the largest tenant, over HTTP and
as the same SQL, paired as ``jobs_list.paired`` pairs the views and with as many samples,
taken in four passes over all the combinations: a busy second of the shared machine falls
on a quarter of one combination's samples, not on all of them (taken at once, 100 or 400,
the worst of the 112 ratios was mostly the noise of one of them: 1.9-2.0 where nine in ten
were under 1.75). Then
``GET /v1/jobs/export.csv`` of the whole largest tenant, streamed: rows per second at the
client and the service's resident memory, sampled while it streams (peak growth over what
it held before)."""

import http.client
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from bench.common import Stats, say
from bench.jobs_report import FIRST_PAGE_P95_MS, HTTP_SQL_RATIO, Measured
from jobline_jobs.domain.list_sorts import Order, Sort
from jobline_jobs.domain.views import View
from jobline_jobs.entrypoints.api.list_params import ListFilters, list_query
from jobline_jobs.service_layer.queries import ListQuery

PASSES = 4
RUNS = {"warmup": 10, "samples": 100}  # a pass; 400 samples a side in all, as each view has
EXPORT_ROWS_PER_S, EXPORT_RSS_GROWTH_MB = 50_000.0, 50.0


@dataclass(frozen=True)
class Combo:
    name: str
    params: dict[str, Any]
    measured: Measured


@dataclass(frozen=True)
class Export:
    rows: int
    seconds: float
    rss_growth_mb: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def filters(today: date, technician: UUID) -> list[tuple[str, dict[str, Any]]]:
    """Each view, then each filter on the whole list, as HTTP parameters."""
    week = today + timedelta(days=6)
    return [
        *((f"view {v.value}", {"view": v.value}) for v in View),
        ("technician", {"technician_id": str(technician)}),
        ("today", {"scheduled_from": today.isoformat(), "scheduled_to": today.isoformat()}),
        ("next 7 days", {"scheduled_from": today.isoformat(), "scheduled_to": week.isoformat()}),
        ("balance due", {"balance_due": "true"}),
    ]


async def measure(
    get: Callable[[dict[str, Any]], object],
    page: Callable[[ListQuery], Awaitable[object]],
    paired_samples: Callable[..., Awaitable[tuple[list[float], list[float]]]],
    zone: str,
    *,
    cases: list[tuple[str, dict[str, Any]]],
) -> list[Combo]:
    """Each case by each sort, both ways, in ``PASSES`` passes over them all."""
    combos: dict[str, tuple[dict[str, Any], ListQuery]] = {}
    for name, params in cases:
        for sort in Sort:
            for order in Order:
                full = {**params, "sort": sort.value, "order": order.value, "limit": 50}
                query = list_query(ListFilters(**_filters(full)), zone, 50)
                combos[f"{name} · {sort.value} {order.value}"] = (full, query)
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in combos}
    for done in range(1, PASSES + 1):
        for name, (full, query) in combos.items():
            http_ms, sql_ms = await paired_samples(
                lambda f=full: get(f), lambda q=query: page(q), RUNS
            )
            samples[name][0].extend(http_ms)
            samples[name][1].extend(sql_ms)
        say(f"sorts and filters: pass {done} of {PASSES} done")
    return [
        Combo(name, full, Measured(Stats.of(samples[name][0]), Stats.of(samples[name][1])))
        for name, (full, _query) in combos.items()
    ]


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "limit"}


def export(url: str, token: str, pid: int) -> Export:
    """The whole view ``all`` as CSV, read in 64 KiB pieces; the service's RSS sampled
    every 50 ms meanwhile."""
    address = urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=120)
    before = _rss_mb(pid)
    peak, checked, lines = before, 0.0, 0
    started = time.perf_counter()
    try:
        conn.request("GET", f"/v1/jobs/export.csv?{urlencode({'view': 'all'})}",
                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"export: {response.status} {response.read()[:200]!r}")
        while piece := response.read(65536):
            lines += piece.count(b"\n")
            if (now := time.perf_counter()) - checked > 0.05:
                peak, checked = max(peak, _rss_mb(pid)), now
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    peak = max(peak, _rss_mb(pid))
    return Export(rows=lines - 1, seconds=seconds, rss_growth_mb=peak - before)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def figures(combos: list[Combo], exported: Export) -> dict[str, float]:
    worst = max(combos, key=lambda c: c.measured.http.p95)
    return {
        "list_sorts_first_page_p95_ms": worst.measured.http.p95,
        "list_sorts_first_page_sql_p95_ms": max(c.measured.sql.p95 for c in combos),
        "list_sorts_http_sql_ratio": max(c.measured.ratio for c in combos),
        "list_export_rows": exported.rows,
        "list_export_rows_per_s": exported.rows_per_s,
        "list_export_rss_growth_mb": exported.rss_growth_mb,
    }


def markdown(combos: list[Combo], exported: Export) -> str:
    slowest = max(combos, key=lambda c: c.measured.http.p95)
    widest = max(combos, key=lambda c: c.measured.ratio)

    def verdict(*, ok: bool) -> str:
        return "pass" if ok else "**FAIL**"

    p95, ratio = slowest.measured.http.p95, widest.measured.ratio
    lines = [
        "### Sorts and filters, first page (limit 50)",
        "",
        f"{len(combos)} combinations: each view and each filter, by each sort both ways; "
        f"{PASSES} passes over them all, each with {RUNS['warmup']} warm-up and "
        f"{RUNS['samples']} paired samples of each.",
        "",
        "| target | measured | bar | result |",
        "|---|---|---|---|",
        f"| first page p95, worst combination (HTTP) | {p95:.2f} ms (`{slowest.name}`) | "
        f"≤ {FIRST_PAGE_P95_MS:.0f} ms | {verdict(ok=p95 <= FIRST_PAGE_P95_MS)} |",
        f"| HTTP/SQL p50 ratio, worst combination | {ratio:.2f} (`{widest.name}`) | "
        f"≤ {HTTP_SQL_RATIO:.0f} | {verdict(ok=ratio <= HTTP_SQL_RATIO)} |",
        f"| CSV export, {exported.rows:,} rows | {exported.rows_per_s:,.0f} rows/s "
        f"({exported.seconds:.1f} s) | ≥ {EXPORT_ROWS_PER_S:,.0f} rows/s | "
        f"{verdict(ok=exported.rows_per_s >= EXPORT_ROWS_PER_S)} |",
        f"| CSV export, service RSS growth at peak | {exported.rss_growth_mb:.1f} MB | "
        f"≤ {EXPORT_RSS_GROWTH_MB:.0f} MB | "
        f"{verdict(ok=exported.rss_growth_mb <= EXPORT_RSS_GROWTH_MB)} |",
        "",
        "| combination | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 | HTTP/SQL p50 |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for c in combos:
        h, s = c.measured.http, c.measured.sql
        lines.append(
            f"| {c.name} | {h.p50:.2f} | {h.p95:.2f} | {s.p50:.2f} | {s.p95:.2f} "
            f"| {c.measured.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"

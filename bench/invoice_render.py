"""Benchmark: invoice PDFs drawn by the invoicing service's render pool (one worker).

The golden ``invoice.render`` snapshot (with a logo) as the 1-page invoice, and the same
with 60 lines as the 3-page one, drawn through ``ProcessPoolRenderer`` exactly as the
service draws them: snapshot → Jinja2 → WeasyPrint → PDF bytes in a spawned worker, plus
the hand-over between processes. The worker is warm (started, fonts loaded, a few
invoices drawn) before anything is timed.
"""

import asyncio
import io
import time
from functools import partial
from typing import Any

from PIL import Image

from bench.common import ROOT, BenchResult, Stats, git_commit, machine, now_utc, sample_async, say
from jobline_contracts.codec import decode
from jobline_contracts.topics import INVOICING_COMMANDS
from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer
from jobline_invoicing.domain.rendering import Drawn

TITLE = "Invoice rendering (WeasyPrint, one worker process)"
GOLDEN = ROOT / "contracts/examples/invoicing.commands.v1/invoice.render.v1.json"
THREE_PAGE_LINES = 60
ONE_PAGE_P50_MS = 120.0
_RUNS = {"one": {"warmup": 10, "samples": 100}, "three": {"warmup": 5, "samples": 40}}
THROUGHPUT_RENDERS = 100


def run() -> BenchResult:
    started = time.perf_counter()
    one, three, per_second, sizes = asyncio.run(_measure())
    seconds = time.perf_counter() - started
    figures = {
        "invoice_render_1p_p50_ms": one.p50,
        "invoice_render_1p_p95_ms": one.p95,
        "invoice_render_3p_p50_ms": three.p50,
        "invoice_render_3p_p95_ms": three.p95,
        "invoice_renders_per_s": per_second,
        "invoice_render_run_s": seconds,
    }
    figures = {name: round(value, 3) for name, value in figures.items()}
    return BenchResult(figures, _markdown(one, three, per_second, sizes, seconds))


def _snapshots() -> tuple[dict[str, Any], dict[str, Any]]:
    snapshot = decode(INVOICING_COMMANDS, GOLDEN.read_bytes()).payload.snapshot
    one = snapshot.model_dump(mode="python")
    lines = one["lines"]
    many = [
        {
            **lines[i % len(lines)],
            "description": f"Item {i + 1}: {lines[i % len(lines)]['description']}",
        }
        for i in range(THREE_PAGE_LINES)
    ]
    return one, {**one, "lines": many}


def _logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 160), "#1f4e79").save(out, "PNG")
    return out.getvalue()


async def _measure() -> tuple[Stats, Stats, float, tuple[int, int]]:
    one, three = _snapshots()
    logo = _logo()
    renderer = ProcessPoolRenderer(workers=1)
    try:
        await renderer.start()
        say("render worker warm; timing 1-page and 3-page invoices")
        sizes = (await _check(renderer, one, logo, 1), await _check(renderer, three, logo, 3))
        one_page = await sample_async(partial(renderer.draw, one, logo), **_RUNS["one"])
        three_page = await sample_async(partial(renderer.draw, three, logo), **_RUNS["three"])
        say(f"timing {THROUGHPUT_RENDERS} 1-page renders queued at once")
        began = time.perf_counter()
        await asyncio.gather(*(renderer.draw(one, logo) for _ in range(THROUGHPUT_RENDERS)))
        per_second = THROUGHPUT_RENDERS / (time.perf_counter() - began)
    finally:
        renderer.close()
    return one_page, three_page, per_second, sizes


async def _check(
    renderer: ProcessPoolRenderer, snapshot: dict[str, Any], logo: bytes, pages: int
) -> int:
    outcome = await renderer.draw(snapshot, logo)
    if not isinstance(outcome, Drawn) or outcome.pages != pages:
        raise RuntimeError(f"expected a {pages}-page PDF, got {outcome!r:.200}")
    return len(outcome.pdf)


def _markdown(
    one: Stats, three: Stats, per_second: float, sizes: tuple[int, int], seconds: float
) -> str:
    verdict = "pass" if one.p50 <= ONE_PAGE_P50_MS else "**FAIL**"
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"Run {now_utc()} · commit `{git_commit()}` · {machine()} · command `make bench` · "
            f"{seconds:.0f} s in all.",
            "",
            "The golden `invoice.render` snapshot (4 lines, with a PNG logo) is the 1-page "
            f"invoice; the same with {THREE_PAGE_LINES} lines is the 3-page one. Each is drawn "
            "through the service's `ProcessPoolRenderer` with one spawned worker, warmed "
            "first; a figure is the time from submitting the snapshot to holding the PDF "
            f"bytes (Jinja2, WeasyPrint layout and PDF writing, process hand-over). 1-page: "
            f"{_RUNS['one']['warmup']} warm-up renders, then {one.samples} one at a time; "
            f"3-page: {_RUNS['three']['warmup']} and {three.samples}. Renders/s: "
            f"{THROUGHPUT_RENDERS} 1-page renders queued at once on the one worker.",
            "",
            "### Targets",
            "",
            "| target | measured | bar | result |",
            "|---|---|---|---|",
            f"| 1-page render p50 | {one.p50:.1f} ms | ≤ {ONE_PAGE_P50_MS:.0f} ms | {verdict} |",
            "",
            "### Figures",
            "",
            "| invoice | PDF size | p50 ms | p95 ms |",
            "|---|--:|--:|--:|",
            f"| 1 page | {sizes[0]:,} B | {one.p50:.1f} | {one.p95:.1f} |",
            f"| 3 pages | {sizes[1]:,} B | {three.p50:.1f} | {three.p95:.1f} |",
            "",
            f"One worker process draws **{per_second:.1f}** 1-page invoices per second; the "
            "service runs `JOBLINE_INVOICING_RENDER_WORKERS` of them (default 1).",
            "",
        ]
    )

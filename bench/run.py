"""Run the benchmarks, merge their figures into results.json, regenerate results.md.

A benchmark is a module of this package with ``run() -> BenchResult``; list it in
BENCHMARKS. Its figures are merged into ``results.json`` (other benchmarks' keys stay),
its markdown section is kept in ``sections/<name>.md``, and ``results.md`` is rebuilt
from those files, so a re-run of one benchmark leaves the others' results in place.
"""

import importlib
import json
import time
import traceback

from bench.common import ROOT, BenchResult, say

BENCHMARKS = (  # in the order of results.md
    "jobs_list",
    "invoice_render",
    "comms_deliveries",
    "event_backbone",
)
HERE = ROOT / "bench"
RESULTS_JSON, RESULTS_MD, SECTIONS = HERE / "results.json", HERE / "results.md", HERE / "sections"


def main(names: list[str]) -> int:
    """Run the named benchmarks (all by default); 1 if any failed."""
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        say(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names or BENCHMARKS:
        started = time.perf_counter()
        say(f"{name}: running")
        try:
            result: BenchResult = importlib.import_module(f"bench.{name}").run()
        except Exception:  # report it, and still run the other benchmarks
            traceback.print_exc()
            failed.append(name)
            continue
        _save(name, result)
        say(f"{name}: done in {time.perf_counter() - started:.0f} s")
    _write_markdown()
    say(f"results in {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)}")
    if failed:
        say(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def _save(name: str, result: BenchResult) -> None:
    figures = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    figures.update(result.figures)
    RESULTS_JSON.write_text(json.dumps(dict(sorted(figures.items())), indent=2) + "\n")
    SECTIONS.mkdir(exist_ok=True)
    (SECTIONS / f"{name}.md").write_text(result.markdown)


def _write_markdown() -> None:
    sections = [SECTIONS / f"{name}.md" for name in BENCHMARKS]
    parts = [
        "# Jobline benchmarks\n\n"
        "Written by `make bench` (`python -m bench`) from `bench/results.json` and "
        "`bench/sections/`; do not edit by hand. Each section says when, where and at which "
        "commit it was measured.\n",
        *(path.read_text() for path in sections if path.exists()),
    ]
    RESULTS_MD.write_text("\n".join(parts))

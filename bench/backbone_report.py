"""The event-backbone section of results.md, its figures and its latency chart."""

from dataclasses import dataclass
from pathlib import Path

from bench import backbone
from bench.common import ROOT, BenchResult, git_commit, machine, now_utc
from bench.ingest import IngestRun
from bench.latency import LatencyRun
from bench.pg_baseline import PgRun
from bench.pipe_baseline import PipeRun

TITLE = "Event backbone: ingest and end-to-end latency (issue 8)"
CHART = ROOT / "bench" / "event_backbone_latency.png"
PROFILE = ROOT / "bench" / "event_backbone_profile.md"  # written by hand, after py-spy
TARGETS = {"ingest": 10_000.0, "ratio": 0.5, "p99": 250.0, "rss": 250.0}
SERVICES = ("jobs", "comms", "invoicing")


@dataclass(frozen=True)
class Report:
    pg: PgRun
    pipe: PipeRun
    ingest: IngestRun
    latency: LatencyRun
    memory: backbone.MemoryWatch
    seconds: float
    ingest_2p: IngestRun | None = None  # with a second jobs process beside the first

    @property
    def ratio(self) -> float:
        return self.ingest.per_s / self.pipe.per_s

    def figures(self) -> dict[str, float]:
        figures = {
            "ingest_facts_per_s": self.ingest.per_s,
            "ingest_vs_pipe_ratio": self.ratio,
            **({"ingest_facts_per_s_2p": self.ingest_2p.per_s} if self.ingest_2p else {}),
            "pipe_facts_per_s": self.pipe.per_s,
            "pg_executemany_rows_per_s": self.pg.executemany_per_s,
            "pg_copy_rows_per_s": self.pg.copy_per_s,
            "e2e_latency_p50_ms": self.latency.p50,
            "e2e_latency_p95_ms": self.latency.p95,
            "e2e_latency_p99_ms": self.latency.p99,
            "event_backbone_run_s": self.seconds,
        }
        for name in SERVICES:
            figures[f"{name}_peak_rss_mb"] = self.memory.peak_mb.get(name, 0.0)
            figures[f"{name}_peak_tree_rss_mb"] = self.memory.peak_tree_mb.get(name, 0.0)
        return {k: round(v, 3) for k, v in figures.items()}

    def result(self) -> BenchResult:
        _chart(self.latency, CHART)
        return BenchResult(self.figures(), self.markdown())

    def markdown(self) -> str:
        i, lat, pipe, pg = self.ingest, self.latency, self.pipe, self.pg

        def verdict(ok: bool) -> str:  # noqa: FBT001 - a local helper
            return "pass" if ok else "**FAIL**"

        rows = [
            f"| ingest | {i.per_s:,.0f} facts/s | ≥ {TARGETS['ingest']:,.0f} | "
            f"{verdict(i.per_s >= TARGETS['ingest'])} |",
            f"| ingest / bare pipe | {self.ratio:.1%} | ≥ {TARGETS['ratio']:.0%} | "
            f"{verdict(self.ratio >= TARGETS['ratio'])} |",
            f"| e2e p99 at {lat.rate:,} facts/s | {lat.p99:,.0f} ms | ≤ {TARGETS['p99']:.0f} ms | "
            f"{verdict(lat.p99 <= TARGETS['p99'] and not lat.missing)} |",
        ]
        for name in SERVICES:
            peak = self.memory.peak_mb.get(name, 0.0)
            rows.append(
                f"| {name} peak RSS | {peak:.0f} MB | ≤ {TARGETS['rss']:.0f} MB | "
                f"{verdict(peak <= TARGETS['rss'])} |"
            )
        memory = [
            f"| {name} | {self.memory.peak_mb.get(name, 0.0):.0f} | "
            f"{self.memory.peak_tree_mb.get(name, 0.0):.0f} |"
            for name in SERVICES
        ]
        profile = PROFILE.read_text().strip() if PROFILE.exists() else "(no profile notes yet)"
        return "\n".join(
            [
                f"## {TITLE}",
                "",
                f"Run {now_utc()} · commit `{git_commit()}` · {machine()} · command "
                f"`make bench` (`python -m bench event_backbone`) · {self.seconds:.0f} s in all"
                + (f" · scale {backbone.SCALE}" if backbone.SCALE != 1 else "")
                + ".",
                "",
                "Kafka, PostgreSQL, the three services and this benchmark share the machine's "
                "CPUs. Traffic runs on the bench's own topics (`bench.dispatch.events.v1` → "
                "`bench.jobs.lifecycle.v1`, through `JOBLINE_JOBS_TOPIC_PREFIX`) and a fresh "
                "database, with comms and invoicing running beside the jobs service (idle: "
                "these facts ask nothing of them). Each job's ten facts (dispatched, three "
                "visit statuses, started, visit completed, work completed, quality checked, "
                "invoiced, paid) share its key, so they stay on one partition, in order.",
                "",
                "### Targets",
                "",
                "| target | measured | bar | result |",
                "|---|---|---|---|",
                *rows,
                "",
                "### Figures",
                "",
                "| what | figure |",
                "|---|--:|",
                f"| bare asyncpg, executemany, 1,000 rows a transaction | "
                f"{pg.executemany_per_s:,.0f} rows/s |",
                f"| bare asyncpg, COPY, 1,000 rows a transaction | {pg.copy_per_s:,.0f} rows/s |",
                f"| bare aiokafka pipe (consume → produce, no database), {pipe.facts:,} facts | "
                f"{pipe.per_s:,.0f} facts/s |",
                f"| jobs service ingest, {i.facts:,} facts of {i.jobs:,} jobs, 100 tenants | "
                f"{i.per_s:,.0f} facts/s ({i.seconds:.1f} s; publishing took "
                f"{i.publish_s:.1f} s) |",
                *self._two_processes(),
                f"| latency at {lat.rate:,} facts/s for {lat.seconds} s: p50 / p95 / p99 / max | "
                f"{lat.p50:,.0f} / {lat.p95:,.0f} / {lat.p99:,.0f} / {lat.max:,.0f} ms |",
                f"| facts of the steady run without a lifecycle event after 120 s | "
                f"{lat.missing:,} of {lat.published:,} |",
                "",
                "Ingest: from the first publish to the last job's `job.status_changed` to "
                "`paid` read back from the lifecycle topic. Bare pipe: the same facts, the "
                "same producer settings, from the first publish to the last fact read back. "
                "Latency: each fact's publish to the first lifecycle event naming it as "
                "`causation_id`, read by a consumer in this process.",
                "",
                f"![latency over time]({CHART.name})",
                "",
                "### Memory (peak RSS, MB)",
                "",
                "| service | main process | with its child processes |",
                "|---|--:|--:|",
                *memory,
                "",
                "Sampled every 200 ms from `/proc` through the whole run (warm-up, ingest, "
                "steady rate). Invoicing's children are its WeasyPrint render workers.",
                "",
                "### Where the time goes",
                "",
                profile,
                "",
            ]
        )

    def _two_processes(self) -> list[str]:
        """The ingest figure with two jobs processes, as a row beside the one-process one."""
        two = self.ingest_2p
        if two is None:
            return []
        return [
            f"| the same with two jobs processes (one consumer group, partitions and outbox "
            f"lanes split between them), {two.facts:,} facts of {two.jobs:,} new jobs | "
            f"{two.per_s:,.0f} facts/s ({two.per_s / self.ingest.per_s:.2f} times one process; "
            f"{two.seconds:.1f} s) |"
        ]


def _chart(run: LatencyRun, path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - only the benchmark draws

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    seconds = int(max(t for t, _ in run.points)) + 1
    buckets: list[list[float]] = [[] for _ in range(seconds)]
    for t, ms in run.points:
        buckets[int(t)].append(ms)
    xs = [s for s in range(seconds) if buckets[s]]

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    ax.scatter(
        [t for t, _ in run.points],
        [ms for _, ms in run.points],
        s=1,
        alpha=0.15,
        color="#9bb7d4",
        label="each fact",
    )
    for q, colour in ((0.5, "#1f4e79"), (0.99, "#c0392b")):
        ax.plot(
            xs, [pct(buckets[s], q) for s in xs], color=colour, label=f"p{int(q * 100)} per second"
        )
    ax.axhline(TARGETS["p99"], color="#c0392b", linestyle="--", linewidth=0.8, label="p99 target")
    ax.set_yscale("log")
    ax.set_xlabel("seconds into the steady run")
    ax.set_ylabel("publish → lifecycle event (ms)")
    ax.set_title(f"Jobs service at {run.rate:,} facts/s")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

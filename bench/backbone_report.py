"""The event-backbone section of results.md, its figures and its latency chart."""

from dataclasses import dataclass
from pathlib import Path

from bench import backbone
from bench.bare_ingest import BareRun
from bench.common import ROOT, BenchResult, git_commit, machine, now_utc
from bench.ingest import IngestRun
from bench.latency import LatencyRun
from bench.pg_baseline import PgRun
from bench.pipe_baseline import PipeRun

TITLE = "Event backbone: ingest, CPU per fact and end-to-end latency (issues 8 and 15)"
CHART = ROOT / "bench" / "event_backbone_latency.png"
PROFILE = ROOT / "bench" / "event_backbone_profile.md"  # written by hand, after py-spy
# Issue 15's bars (issue 8 had asked 10,000 facts/s, half the pipe, p99 250 ms).
TARGETS = {
    "ingest": 6_000.0,
    "ratio": 0.2,
    "p99": 150.0,
    "rss": 250.0,
    "consumer_cpu_us": 150.0,
    "relay_cpu_us": 40.0,
}
SERVICES = ("jobs", "jobs-relay", "comms", "invoicing")
BARE_INGEST = (
    "Bare ingest (`bench/bare_ingest.py`): the limit of this machine for this work, in "
    "the same run. Each fact's work is planned before the clock starts with the service's "
    "own code, in a transaction rolled back: its claim, its job, and the typed rows the "
    "service hands its `RowWriter`. A worker process with no Jobline code in the way then "
    "takes the same facts from its own topic with plain aiokafka (batches of up to 500 or "
    "20 ms, as the service), and per batch, in one transaction, claims them (the same "
    "statement), locks their jobs `FOR UPDATE` and writes their rows with the statements "
    "the `RowWriter` sends (one `executemany` per kind, COPY where it uses COPY), then "
    "commits the offsets; a relay task in the same process reads the outbox in id order, "
    "produces its bytes (the same producer settings) and deletes what was acknowledged. "
    "What the service adds to it: decoding, handlers and domain, building rows, and "
    "loading the jobs it locks. PostgreSQL CPU: user + system seconds of the database's "
    "backends (from `/proc`), over the same span, per fact."
)


@dataclass(frozen=True)
class Costs:
    """Process CPU over the ingest (from the first publish to the last job paid)."""

    consumer_cpu_s: float  # the jobs consume process
    relay_cpu_s: float  # the jobs relay process
    events: int  # outbox rows the relay published meanwhile (its own counter)
    pg_cpu_s: float  # the PostgreSQL backends of the service's database


@dataclass(frozen=True)
class Report:
    pg: PgRun
    pipe: PipeRun
    ingest: IngestRun
    latency: LatencyRun
    memory: backbone.MemoryWatch
    seconds: float
    costs: Costs
    bare: BareRun
    ingest_2p: IngestRun | None = None  # with a second jobs process beside the first

    @property
    def consumer_cpu_us(self) -> float:
        return self.costs.consumer_cpu_s * 1e6 / self.ingest.facts

    @property
    def relay_cpu_us(self) -> float:
        return self.costs.relay_cpu_s * 1e6 / max(1, self.costs.events)

    @property
    def ratio(self) -> float:
        return self.ingest.per_s / self.pipe.per_s

    @property
    def bare_ratio(self) -> float:
        return self.ingest.per_s / self.bare.per_s

    @property
    def pg_cpu_us(self) -> float:
        return self.costs.pg_cpu_s * 1e6 / self.ingest.facts

    def figures(self) -> dict[str, float]:
        figures = {
            "ingest_facts_per_s": self.ingest.per_s,
            "ingest_vs_pipe_ratio": self.ratio,
            "bare_ingest_facts_per_s": self.bare.per_s,
            "ingest_vs_bare_ratio": self.bare_ratio,
            **({"ingest_facts_per_s_2p": self.ingest_2p.per_s} if self.ingest_2p else {}),
            "pipe_facts_per_s": self.pipe.per_s,
            "jobs_cpu_us_per_fact": self.consumer_cpu_us,
            "relay_cpu_us_per_event": self.relay_cpu_us,
            "pipe_cpu_us_per_message": self.pipe.cpu_us_per_message,
            "jobs_pg_cpu_us_per_fact": self.pg_cpu_us,
            "bare_ingest_cpu_us_per_fact": self.bare.cpu_us_per_fact,
            "bare_ingest_pg_cpu_us_per_fact": self.bare.pg_cpu_us_per_fact,
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
        i, lat, pipe, pg, bare = self.ingest, self.latency, self.pipe, self.pg, self.bare

        def verdict(ok: bool) -> str:  # noqa: FBT001 - a local helper
            return "pass" if ok else "**FAIL**"

        rows = [
            f"| ingest | {i.per_s:,.0f} facts/s | ≥ {TARGETS['ingest']:,.0f} | "
            f"{verdict(i.per_s >= TARGETS['ingest'])} |",
            f"| ingest / bare pipe | {self.ratio:.1%} | ≥ {TARGETS['ratio']:.0%} | "
            f"{verdict(self.ratio >= TARGETS['ratio'])} |",
            f"| jobs consumer CPU per fact | {self.consumer_cpu_us:,.0f} µs | "
            f"≤ {TARGETS['consumer_cpu_us']:.0f} µs | "
            f"{verdict(self.consumer_cpu_us <= TARGETS['consumer_cpu_us'])} |",
            f"| relay CPU per event | {self.relay_cpu_us:,.0f} µs | "
            f"≤ {TARGETS['relay_cpu_us']:.0f} µs | "
            f"{verdict(self.relay_cpu_us <= TARGETS['relay_cpu_us'])} |",
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
                "database, with the jobs service as a `consume` and a `relay` process and "
                "comms and invoicing running beside it (idle: "
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
                f"| bare pipe's process CPU per message | {pipe.cpu_us_per_message:,.1f} µs |",
                f"| bare ingest (the same facts' claims, locks, rows and lifecycle bytes, "
                f"no Jobline code), {bare.facts:,} facts | {bare.per_s:,.0f} facts/s |",
                f"| bare ingest's process CPU / its PostgreSQL backends' CPU, per fact | "
                f"{bare.cpu_us_per_fact:,.1f} / {bare.pg_cpu_us_per_fact:,.1f} µs |",
                f"| jobs service ingest / bare ingest | {self.bare_ratio:.1%} |",
                f"| jobs consume process CPU per fact (over the ingest) | "
                f"{self.consumer_cpu_us:,.1f} µs |",
                f"| its PostgreSQL backends' CPU per fact | {self.pg_cpu_us:,.1f} µs |",
                f"| jobs relay process CPU per event published ({self.costs.events:,} events) | "
                f"{self.relay_cpu_us:,.1f} µs |",
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
                "CPU: user + system seconds from `/proc/<pid>/stat` over the same span, "
                "divided by the facts published (consumer, pipe) or by the outbox rows the "
                "relay counted as published (`jobline_outbox_published_total`). "
                "Latency: each fact's publish to the first lifecycle event naming it as "
                "`causation_id`, read by a consumer in this process.",
                "",
                BARE_INGEST,
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

"""Benchmark: ingest throughput, CPU per fact and end-to-end latency of the event
backbone, against the bare pipe (issues 8 and 15).

In one run, on the local stack: the limits of this machine (a bare aiokafka pipe, a bare
asyncpg batch-insert loop), then the jobs service — a ``consume`` process and a ``relay``
process, as operators scale it, with comms and invoicing running beside it — taking
200,000 dispatch facts of 20,000 jobs over 100 tenants as fast as they are published
(each process's CPU from /proc over that ingest: per fact for the consumer, per event
relayed for the relay), then a steady 1,000 facts/s for 60 s; the peak RSS of every
service throughout; then, with a second ``consume`` process beside the first (same
consumer group, so the partitions split), another 200,000 facts of new jobs as fast as
they come (``ingest_facts_per_s_2p``). See ``backbone_report`` for what is written.
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

from bench import (
    backbone,
    backbone_report,
    bare_ingest,
    ingest,
    latency,
    pg_baseline,
    pipe_baseline,
)
from bench.common import BenchResult, recreate_database, say, setting
from bench.cpu import CpuMeter, PgBackendsCpu
from bench.metrics import counter_total
from bench.service import wait_ready

JOBS = 20_000
RATE, SECONDS = 1_000, 60
COMMS_DATABASE = "jobline_bench_backbone_comms"


def run() -> BenchResult:
    started = time.perf_counter()
    kafka, server = setting("KAFKA_BOOTSTRAP_SERVERS"), setting("DATABASE_URL")
    jobs = max(100, round(JOBS * backbone.SCALE))
    seconds = max(5, round(SECONDS * backbone.SCALE))
    factory = backbone.FactFactory()
    bulk = factory.stage_major(jobs)
    steady = [f for _ in range(seconds) for f in factory.stage_major(RATE // 10)]
    bulk_2p = factory.stage_major(jobs)
    url = asyncio.run(backbone.fresh_database(server))
    asyncio.run(backbone.ensure_bench_topics(kafka))
    say(f"bare PostgreSQL: {len(bulk):,} rows, executemany and COPY")
    pg = asyncio.run(pg_baseline.measure(url, len(bulk)))
    say(f"bare pipe: {len(bulk):,} facts")
    pipe = pipe_baseline.measure(kafka, bulk)
    say(f"bare pipe: {pipe.per_s:,.0f} facts/s")
    bare = bare_ingest.measure(kafka, server, bulk)
    run_id = uuid.uuid4().hex[:12]
    with (
        _services(url, server, kafka, run_id) as children,
        backbone.MemoryWatch({n: c.process.pid for n, c in children.items()}) as memory,
    ):
        ingested, costs, steady_run = asyncio.run(_measure(kafka, url, bulk, steady, children))
        with _second_jobs_process(url, kafka, run_id, children["jobs"]):
            ingested_2p = asyncio.run(_measure_ingest(kafka, bulk_2p))
    report = backbone_report.Report(
        pg,
        pipe,
        ingested,
        steady_run,
        memory,
        time.perf_counter() - started,
        costs,
        bare,
        ingested_2p,
    )
    return report.result()


async def _measure(
    kafka: str,
    url: str,
    bulk: list[backbone.Fact],
    steady: list[backbone.Fact],
    children: dict[str, backbone.Child],
) -> tuple[ingest.IngestRun, backbone_report.Costs, latency.LatencyRun]:
    clock = backbone.TopicClock(
        kafka, backbone.LIFECYCLE_TOPIC, marker=backbone.PAID, causations=True
    )
    consumer, relay = children["jobs"], children["jobs-relay"]
    assert relay.url is not None  # noqa: S101 - started with one
    await clock.start()
    try:
        await backbone.warm_up(kafka, clock, backbone.WarmupFact(backbone.FACTS_TOPIC))
        consumer_cpu, relay_cpu = CpuMeter([consumer.process.pid]), CpuMeter([relay.process.pid])
        pg_cpu = PgBackendsCpu(url)
        published = counter_total(relay.url, "jobline_outbox_published")
        consumer_cpu.start()
        relay_cpu.start()
        await pg_cpu.start()
        ingested = await ingest.measure(kafka, clock, bulk)
        consumer_cpu.stop()
        relay_cpu.stop()
        await pg_cpu.stop()
        events = counter_total(relay.url, "jobline_outbox_published") - published
        costs = backbone_report.Costs(
            consumer_cpu.seconds, relay_cpu.seconds, int(events), pg_cpu.seconds
        )
        await asyncio.sleep(5)  # let the relay and autovacuum settle
        steady_run = await latency.measure(kafka, clock, steady, RATE)
    finally:
        await clock.stop()
    return ingested, costs, steady_run


async def _measure_ingest(kafka: str, bulk: list[backbone.Fact]) -> ingest.IngestRun:
    clock = backbone.TopicClock(
        kafka, backbone.LIFECYCLE_TOPIC, marker=backbone.PAID, causations=False
    )
    await clock.start()
    try:
        await backbone.warm_up(kafka, clock, backbone.WarmupFact(backbone.FACTS_TOPIC))
        return await ingest.measure(kafka, clock, bulk)
    finally:
        await clock.stop()


def _jobs_process(
    name: str, verb: str, url: str, kafka: str, run_id: str
) -> AbstractContextManager[backbone.Child]:
    """``jobline-jobs <verb>`` on the bench's topics, database and consumer group."""
    port, http = backbone.free_url()
    return backbone.child(
        name, ["-m", "jobline_jobs.cli", verb], _jobs_env(url, kafka, port, run_id), http
    )


def _jobs_env(url: str, kafka: str, port: int, run_id: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "JOBLINE_JOBS_HTTP_PORT": str(port),
        "JOBLINE_JOBS_CONSUMER_GROUP": f"bench-jobs-{run_id}",
        "JOBLINE_JOBS_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_JOBS_TOPIC_PREFIX": backbone.PREFIX,
    }


@contextmanager
def _second_jobs_process(
    url: str, kafka: str, run_id: str, first: backbone.Child
) -> Iterator[None]:
    """A second jobs consumer process beside the first: ready once the group gave it
    partitions (it joins the first's group, so it resumes from the group's committed
    offsets) and the first is ready again after the rebalance."""
    with _jobs_process("bench-backbone-jobs-2", "consume", url, kafka, run_id):
        assert first.url is not None  # noqa: S101 - started with one
        wait_ready(first.url, first.name, backbone.LOGS / f"{first.name}.log", first.process)
        yield


@contextmanager
def _services(
    url: str, server: str, kafka: str, run_id: str
) -> Iterator[dict[str, backbone.Child]]:
    """The three services (and the Twilio sandbox comms talks to) as child processes;
    yields them by name."""
    comms_url = asyncio.run(recreate_database(server, COMMS_DATABASE))
    with ExitStack() as stack:
        port, twilio = backbone.free_url()
        stack.enter_context(
            backbone.child(
                "bench-backbone-twilio",
                ["-m", "jobline_sandboxes.cli", "twilio"],
                {"JOBLINE_SANDBOX_TWILIO_PORT": str(port)},
                twilio,
            )
        )
        port, comms_http = backbone.free_url()
        comms = stack.enter_context(
            backbone.child(
                "bench-backbone-comms",
                ["-m", "jobline_comms.cli", "serve"],
                {
                    "DATABASE_URL": comms_url,
                    "KAFKA_BOOTSTRAP_SERVERS": kafka,
                    "JOBLINE_COMMS_HTTP_PORT": str(port),
                    "JOBLINE_COMMS_PUBLIC_BASE_URL": comms_http,
                    "JOBLINE_COMMS_CONSUMER_GROUP": f"bench-comms-{run_id}",
                    "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
                    "JOBLINE_COMMS_TWILIO_BASE_URL": twilio,
                },
                comms_http,
            )
        )
        port, invoicing_http = backbone.free_url()
        invoicing = stack.enter_context(
            backbone.child(
                "bench-backbone-invoicing",
                ["-m", "jobline_invoicing.cli", "serve"],
                {
                    "KAFKA_BOOTSTRAP_SERVERS": kafka,
                    "JOBLINE_INVOICING_HTTP_PORT": str(port),
                    "JOBLINE_INVOICING_CONSUMER_GROUP": f"bench-invoicing-{run_id}",
                    "JOBLINE_INVOICING_AUTO_OFFSET_RESET": "latest",
                },
                invoicing_http,
            )
        )
        relay = stack.enter_context(
            _jobs_process("bench-backbone-jobs-relay", "relay", url, kafka, run_id)
        )
        jobs = stack.enter_context(
            _jobs_process("bench-backbone-jobs", "consume", url, kafka, run_id)
        )
        say(f"services ready (jobs consumer pid {jobs.process.pid}, relay {relay.process.pid})")
        yield {"jobs": jobs, "jobs-relay": relay, "comms": comms, "invoicing": invoicing}

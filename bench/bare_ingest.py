"""The bare ingest: the jobs service's database and broker work for the same facts, with
no Jobline code in the way. The machine's limit for this work, measured in the same run.

Before the clock starts, each fact's work is planned once with the service's own code
(decode, translate, handlers, unit of work) in a transaction that is rolled back: its
claim, its job's key, and the typed rows the service hands its ``RowWriter``. Then
``python -m bench.bare_ingest <bootstrap> <database url> <group> <plans>`` is the worker, a
process of its own as the jobs consumer is: plain aiokafka batches in (500 records or
20 ms, the consumer's defaults); per batch, in one transaction, the claims (the same
``INSERT … unnest … RETURNING``), the jobs locked ``FOR UPDATE`` in (tenant, id) order, and
the rows with the statements ``RowWriter`` sends (one ``executemany`` per kind, COPY where
it uses COPY, foreign-key order); offsets committed after the database commit. A relay task
does what the outbox relay does: reads the outbox in id order, produces the rows' bytes
to Kafka (the bench's producer settings), deletes them once acknowledged. What the service
does and this does not: decoding, handlers and domain, building rows, and loading the jobs
(the lock is kept: per-job order needs it).
"""

import asyncio
import json
import pickle
import sys
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import backbone
from bench.common import say
from bench.cpu import CpuMeter, PgBackendsCpu
from bench.pipe_baseline import publish_all
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_infra.consuming.decoding import TopicDecoder
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.row_writer import COPIED, COPY_FROM, RowWriter
from jobline_jobs.adapters.rows import STATEMENTS, Row
from jobline_jobs.entrypoints.translate import fact_to_command
from jobline_jobs.service_layer.handlers import HANDLERS
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation

IN, OUT = backbone.PREFIX + "bare.in", backbone.PREFIX + "bare.out"
DATABASE = "jobline_bench_backbone_bare"
CONSUMER = "jobs.dispatch-facts"  # the service's name for its claims
BATCH, BATCH_TIMEOUT_MS = 500, 20
PLAN_JOBS = 250  # jobs planned per rolled-back transaction
_CLAIM = """INSERT INTO jobs.processed_messages (consumer, message_id)
   SELECT $1, m FROM unnest($2::uuid[]) AS m
   ON CONFLICT DO NOTHING RETURNING message_id"""
_LOCK = """SELECT 1 FROM jobs.jobs
 WHERE (tenant_id, job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
 ORDER BY tenant_id, job_id FOR UPDATE"""
_RELAY_READ = """SELECT outbox_id, topic, key, value, headers, traceparent
  FROM jobs.outbox ORDER BY outbox_id LIMIT $1"""
_COUNTERS = "SELECT tenant_id, next_invoice_seq FROM jobs.tenants"
_CARRY_COUNTER = "UPDATE jobs.tenants SET next_invoice_seq = $2 WHERE tenant_id = $1"
_RELAY_DELETE = "DELETE FROM jobs.outbox WHERE outbox_id = ANY($1::bigint[])"


@dataclass(frozen=True)
class Plan:
    """One fact's work: its claim, its job, its rows by kind."""

    message_id: UUID
    job: tuple[str, UUID]
    rows: tuple[tuple[type[Row], tuple[Row, ...]], ...]


@dataclass(frozen=True)
class BareRun:
    facts: int
    per_s: float
    cpu_us_per_fact: float  # the worker's process CPU
    pg_cpu_us_per_fact: float  # its PostgreSQL backends'


# -- planning (before the clock) ------------------------------------------------------


async def plan(url: str, facts: list[backbone.Fact]) -> dict[bytes, Plan]:
    """Each fact's work, keyed by its bytes, from the service's own code; nothing kept."""
    by_job: dict[bytes, list[backbone.Fact]] = defaultdict(list)
    for fact in facts:
        by_job[fact.key].append(fact)
    jobs = list(by_job.values())
    decoder, plans = TopicDecoder(DISPATCH_EVENTS), {}
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    try:
        for at in range(0, len(jobs), PLAN_JOBS):
            chunk = [fact for job in jobs[at : at + PLAN_JOBS] for fact in job]
            plans.update(await _plan_chunk(pool, decoder, chunk))
    finally:
        await pool.close()
    return plans


async def _plan_chunk(
    pool: asyncpg.Pool, decoder: TopicDecoder, facts: list[backbone.Fact]
) -> dict[bytes, Plan]:
    items = []
    for fact in facts:
        envelope = decoder.decode(fact.value)
        causation = Causation(
            CONSUMER,
            envelope.message_id,
            envelope.type,
            envelope.correlation_id,
            envelope.occurred_at,
            "upstream",
        )
        items.append((fact_to_command(envelope), causation))
    plans = {}
    async with PostgresBatch(pool) as batch:  # never committed
        await batch.prepare(items)
        bus = MessageBus(batch.unit_of_work, HANDLERS)
        added = _recording(batch.session.rows)
        for fact, (command, causation) in zip(facts, items, strict=True):
            added.clear()
            await bus.handle(command, causation)
            by_kind: dict[type[Row], list[Row]] = defaultdict(list)
            for row in added:
                by_kind[type(row)].append(row)
            rows = tuple((kind, tuple(by_kind[kind])) for kind in STATEMENTS if kind in by_kind)
            job = (command.tenant_id, command.job_id)  # type: ignore[attr-defined]
            plans[fact.value] = Plan(causation.message_id, job, rows)
        counters = await batch.session.conn.fetch(_COUNTERS)
    # The chunk is rolled back, its tenants' invoice counters with it: carried forward,
    # so the next chunk numbers on from here and the planned rows never repeat a number.
    await pool.executemany(_CARRY_COUNTER, [tuple(row) for row in counters])
    return plans


def _recording(writer: RowWriter) -> list[Row]:
    """Every row handed to ``writer`` from now on, in order. Counting what is pending
    would miss rows a handler sends early (a refund's payment and the recall walk send
    the batch's rows to read them back), so the rows are caught as they are added."""
    added: list[Row] = []
    add, extend = writer.add, writer.extend

    def add_too(row: Row) -> None:
        added.append(row)
        add(row)

    def extend_too(rows: Sequence[Row]) -> None:
        added.extend(rows)
        extend(rows)

    writer.add, writer.extend = add_too, extend_too  # type: ignore[method-assign]
    return added


# -- the worker (timed) ---------------------------------------------------------------


async def _work(bootstrap: str, url: str, group: str, plans: dict[bytes, Plan]) -> None:
    consumer = AIOKafkaConsumer(
        IN,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        max_poll_records=BATCH,
    )
    producer = backbone.producer(bootstrap)
    conn, relay_conn = await asyncpg.connect(url), await asyncpg.connect(url)
    await consumer.start()
    await producer.start()
    wake = asyncio.Event()
    relay = asyncio.create_task(_relay(relay_conn, producer, wake))
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=BATCH_TIMEOUT_MS, max_records=BATCH)
            records = [record for records in batches.values() for record in records]
            if not records:
                continue
            known = [p for r in records if (p := plans.get(r.value or b"")) is not None]
            for record in records:  # the warm-up's facts, planned by nobody: echoed
                if record.value not in plans:
                    await producer.send(OUT, record.value, key=record.key)
            if known:
                await _write(conn, known)
                wake.set()
            await consumer.commit()
    finally:
        relay.cancel()
        await producer.stop()
        await consumer.stop()


async def _write(conn: asyncpg.Connection, plans: list[Plan]) -> None:
    """One batch's transaction: claims, locks, then every kind's rows in one statement."""
    by_kind: dict[type[Row], list[Row]] = defaultdict(list)
    for p in plans:
        for kind, planned in p.rows:
            by_kind[kind].extend(planned)
    jobs = sorted({p.job for p in plans})
    async with conn.transaction():
        await conn.fetch(_CLAIM, CONSUMER, [p.message_id for p in plans])
        await conn.execute(_LOCK, [t for t, _ in jobs], [j for _, j in jobs])
        for kind in STATEMENTS:
            rows = by_kind.get(kind)
            if not rows:
                continue
            if len(rows) >= COPY_FROM and kind in COPIED:
                await conn.copy_records_to_table(
                    COPIED[kind], schema_name="jobs", columns=kind._fields, records=rows
                )
            else:
                await conn.executemany(STATEMENTS[kind], rows)


async def _relay(conn: asyncpg.Connection, producer: AIOKafkaProducer, wake: asyncio.Event) -> None:
    """The outbox relay's work: read in id order, produce, delete once acknowledged."""
    headers: dict[str, list[tuple[str, bytes]]] = {}
    while True:
        wake.clear()  # before reading: a commit after the read wakes the next wait
        rows = await conn.fetch(_RELAY_READ, BATCH)
        if not rows:
            await wake.wait()
            continue
        sent = []
        for row in rows:
            text = row["headers"]
            if text not in headers:
                headers[text] = [(k, v.encode()) for k, v in json.loads(text).items()]
            value, key = row["value"], row["key"]
            sent.append(await producer.send(OUT, value, key=key, headers=headers[text]))
        await asyncio.gather(*sent)
        await conn.execute(_RELAY_DELETE, [row["outbox_id"] for row in rows])


# -- measuring ------------------------------------------------------------------------


def measure(kafka: str, server: str, facts: list[backbone.Fact]) -> BareRun:
    """Plan ``facts`` on a fresh database, run the worker, publish them as fast as the
    producer takes them, and time the first publish to the last job paid on its output."""
    url = asyncio.run(backbone.fresh_database(server, DATABASE))
    say(f"bare ingest: planning {len(facts):,} facts with the service's code")
    plans = asyncio.run(plan(url, facts))
    backbone.LOGS.mkdir(parents=True, exist_ok=True)
    path = backbone.LOGS.parent / "bare_ingest.plans"
    with path.open("wb") as file:
        pickle.dump(plans, file, protocol=pickle.HIGHEST_PROTOCOL)
    del plans
    partitions = {IN: DISPATCH_EVENTS.partitions, OUT: JOBS_LIFECYCLE.partitions}
    asyncio.run(backbone.ensure_bench_topics(kafka, partitions))
    group = f"bench-bare-{uuid.uuid4().hex[:12]}"
    argv = ["-m", "bench.bare_ingest", kafka, url, group, str(path)]
    try:
        with backbone.child("bench-bare-ingest", argv, {}) as worker:
            return asyncio.run(_measure(kafka, url, facts, worker.process.pid))
    finally:
        path.unlink(missing_ok=True)


async def _measure(kafka: str, url: str, facts: list[backbone.Fact], pid: int) -> BareRun:
    clock = backbone.TopicClock(kafka, OUT, marker=backbone.PAID, causations=False)
    await clock.start()
    try:
        await backbone.warm_up(kafka, clock, backbone.WarmupFact(IN), within=180)
        say(f"bare ingest: publishing {len(facts):,} facts")
        cpu, pg = CpuMeter([pid]), PgBackendsCpu(url)
        cpu.start()
        await pg.start()
        _, started = await publish_all(kafka, IN, facts)
        last = await clock.wait_marked({f.key for f in facts}, within=900)
        cpu.stop()
        await pg.stop()
    finally:
        await clock.stop()
    run = BareRun(
        len(facts),
        len(facts) / (last - started),
        cpu.seconds * 1e6 / len(facts),
        pg.seconds * 1e6 / len(facts),
    )
    say(f"bare ingest: {run.per_s:,.0f} facts/s")
    return run


def main() -> None:
    bootstrap, url, group, path = sys.argv[1:5]
    with Path(path).open("rb") as file:
        plans: dict[bytes, Plan] = pickle.load(file)  # noqa: S301 - written by this bench
    asyncio.run(_work(bootstrap, url, group, plans))


if __name__ == "__main__":
    main()

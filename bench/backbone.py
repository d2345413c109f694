"""What the event-backbone benchmarks share: the facts, the services, the clocks.

Everything runs on the bench's own topics (``bench.`` + the real names, through the jobs
service's ``JOBLINE_JOBS_TOPIC_PREFIX``), so 200,000 facts never reach another jobs
process on the same broker, and on a fresh ``jobline_bench_backbone`` database.
"""

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import ROOT, read_from_now, recreate_database, say
from bench.service import free_port, wait_ready
from jobline_contracts import facts
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE, TOPICS, TopicSpec
from jobline_infra.kafka_topics import ensure_topics
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.tenants import add_tenant

PREFIX = "bench."
FACTS_TOPIC, LIFECYCLE_TOPIC = PREFIX + DISPATCH_EVENTS.name, PREFIX + JOBS_LIFECYCLE.name
DATABASE = "jobline_bench_backbone"
LOGS = ROOT / ".run" / "logs"
# For a quick look on a busy machine: BENCH_BACKBONE_SCALE=0.1 runs a tenth of the work.
SCALE = float(os.environ.get("BENCH_BACKBONE_SCALE", "1"))
TENANTS = 100
FACTS_PER_JOB = 10
_STAGES = (
    "job.dispatched",
    "dispatch.status_changed:dispatched",
    "dispatch.status_changed:en_route",
    "dispatch.status_changed:on_site",
    "job.started",
    "dispatch.status_changed:completed",
    "job.work_completed",
    "job.quality_checked",
    "job.invoiced",
    "payment.recorded",
)
PAID = b'"to_step":"paid"'  # the job's last lifecycle event: its payment made it paid


def tenant_ids() -> list[str]:
    return [f"bench-t{n:03d}" for n in range(TENANTS)]


# -- the facts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    key: bytes
    value: bytes
    message_id: bytes  # as it appears in the lifecycle events it causes (causation_id)


_SLOTS = ("job", "customer", "property", "dispatch", "line", "payment")


def _template() -> tuple[list[str], str]:
    """One job's ten facts as ``str.format`` templates (ids as named fields)."""
    ids = {slot: uuid.uuid4() for slot in _SLOTS}
    technician = uuid.uuid4()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    window = facts.ArrivalWindow(start=start, end=start + timedelta(hours=2))
    visit = facts.DispatchRecord(
        dispatch_id=ids["dispatch"], technician_id=technician, arrival_window=window
    )
    job = ids["job"]
    payloads: list[Payload] = []
    for stage in _STAGES:
        name, _, status = stage.partition(":")
        match name:
            case "job.dispatched":
                payloads.append(
                    facts.JobDispatched(
                        job_id=job,
                        job_number="J-NUMBER",
                        customer_id=ids["customer"],
                        property_id=ids["property"],
                        technician_id=technician,
                        summary="Replace water heater",
                        schedule=window,
                        currency="USD",
                        tax_rate=Decimal("0.08"),
                        line_items=[
                            facts.LineItem(
                                line_id=ids["line"],
                                description="Water heater, fitted",
                                quantity=Decimal(1),
                                unit_price=Decimal("100.00"),
                                taxable=False,
                            )
                        ],
                        dispatch=visit,
                    )
                )
            case "dispatch.status_changed":
                payloads.append(
                    facts.DispatchStatusChanged(
                        job_id=job,
                        dispatch_id=ids["dispatch"],
                        status=status,  # type: ignore[arg-type]
                    )
                )
            case "job.started":
                payloads.append(facts.JobStarted(job_id=job))
            case "job.work_completed":
                payloads.append(facts.JobWorkCompleted(job_id=job, completed_at=start))
            case "job.quality_checked":
                payloads.append(facts.JobQualityChecked(job_id=job, outcome="passed"))
            case "job.invoiced":
                payloads.append(facts.JobInvoiced(job_id=job))
            case "payment.recorded":
                payloads.append(
                    facts.PaymentRecorded(
                        job_id=job,
                        payment_id=ids["payment"],
                        amount=Decimal("100.00"),
                        method="card",
                    )
                )
    out = []
    for n, payload in enumerate(payloads):
        envelope = Envelope.wrap(payload, tenant_id="bench-tenant")
        text = envelope.to_json().decode().replace("{", "{{").replace("}", "}}")
        text = text.replace(str(envelope.message_id), f"{{m{n}}}")
        for slot, value in ids.items():
            text = text.replace(str(value), f"{{{slot}}}")
        text = text.replace(str(technician), "{technician}")
        out.append(text.replace("bench-tenant", "{tenant}").replace("J-NUMBER", "{number}"))
    return out, str(job)


class FactFactory:
    """Fresh jobs (new ids) spread over the tenants, ten facts each."""

    def __init__(self) -> None:
        self._templates, _ = _template()
        self._technicians = {t: [str(uuid.uuid4()) for _ in range(10)] for t in tenant_ids()}
        self._made = 0

    def job(self, tenant: str | None = None) -> list[Fact]:
        """The ten facts of one new job, in order."""
        n, self._made = self._made, self._made + 1
        tenant = tenant or f"bench-t{n % TENANTS:03d}"
        ids = {slot: str(uuid.uuid4()) for slot in _SLOTS}
        ids["technician"] = self._technicians.get(tenant, self._technicians["bench-t000"])[n % 10]
        messages = [str(uuid.uuid4()) for _ in self._templates]
        fields = {
            **ids,
            **{f"m{i}": m for i, m in enumerate(messages)},
            "tenant": tenant,
            "number": f"B-{n:07d}-{ids['job'][:4]}",
        }
        key = ids["job"].encode()
        return [
            Fact(key, template.format(**fields).encode(), message.encode())
            for template, message in zip(self._templates, messages, strict=True)
        ]

    def stage_major(self, jobs: int) -> list[Fact]:
        """``jobs`` new jobs, all first facts, then all second facts, …: each job's facts
        stay in order while many jobs are in flight at once."""
        made = [self.job() for _ in range(jobs)]
        return [job[stage] for stage in range(FACTS_PER_JOB) for job in made]


# -- the database and the topics ----------------------------------------------------


async def fresh_database(server_url: str, name: str = DATABASE) -> str:
    """A new, migrated database (``jobline_bench_backbone``) with the bench's tenants."""
    url = await recreate_database(server_url, name)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        for tenant in [*tenant_ids(), "bench-warmup"]:
            await add_tenant(conn, tenant, f"Bench {tenant}", "America/Chicago", "USD")
    finally:
        await conn.close()
    return url


async def ensure_bench_topics(kafka: str, extra: dict[str, int] | None = None) -> None:
    specs = [replace(spec, name=PREFIX + spec.name) for spec in TOPICS]
    await ensure_topics(kafka, specs, client_id="jobline-bench")
    if extra:
        await ensure_topics(
            kafka,
            [
                TopicSpec(name, "bench", (), "", "", (), partitions=p, has_dlq=False)
                for name, p in extra.items()
            ],
            client_id="jobline-bench",
        )


def producer(kafka: str) -> AIOKafkaProducer:
    """How an upstream would publish in bulk: idempotent, acks=all, lingering."""
    return AIOKafkaProducer(
        bootstrap_servers=kafka,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


# -- child processes and their memory ------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    url: str | None = None


@contextmanager
def child(
    name: str, argv: list[str], env: dict[str, str], url: str | None = None
) -> Iterator[Child]:
    """A child process logging to .run/logs/<name>.log; waits for /readyz when given a
    URL; terminated (SIGTERM, then SIGKILL) on exit."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own modules, fixed arguments
            [sys.executable, *argv],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        if url is not None:
            wait_ready(url, name, LOGS / f"{name}.log", process)
        yield Child(name, process, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                found.extend(int(c) for c in children)
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@dataclass
class MemoryWatch:
    """Samples each process's RSS (and its process tree's) every 200 ms in a thread."""

    pids: dict[str, int]
    peak_mb: dict[str, float] = field(default_factory=dict)
    peak_tree_mb: dict[str, float] = field(default_factory=dict)
    series: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "MemoryWatch":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            sample = {}
            for name, pid in self.pids.items():
                own = _rss_kib(pid) / 1024
                tree = own + sum(_rss_kib(c) for c in _descendants(pid)) / 1024
                self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), own)
                self.peak_tree_mb[name] = max(self.peak_tree_mb.get(name, 0.0), tree)
                sample[name] = own
            self.series.append((time.perf_counter(), sample))
            self._stop.wait(0.2)


# -- watching the output topic --------------------------------------------------------


class TopicClock:
    """Reads a topic from its end (no consumer group) and notes when records arrive:
    the keys of records containing ``marker`` and, when asked, each record's
    ``causation_id`` (the first time it is seen)."""

    def __init__(self, kafka: str, topic: str, marker: bytes | None, *, causations: bool) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka,
            enable_auto_commit=False,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        self.topic, self._marker, self._causations = topic, marker, causations
        self.marked: dict[bytes, float] = {}
        self.caused: dict[bytes, float] = {}
        self.keys: dict[bytes, float] = {}  # every key, when first seen
        self.records = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await read_from_now(self._consumer, self.topic)
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        marker, causations = self._marker, self._causations
        marked, caused, keys = self.marked, self.caused, self.keys
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                self.records += len(records)
                for record in records:
                    value = record.value or b""
                    if record.key is not None and record.key not in keys:
                        keys[record.key] = now
                    if marker is not None and marker in value and record.key is not None:
                        marked.setdefault(record.key, now)
                    if causations:
                        at = value.find(b'"causation_id":"')
                        if at >= 0:
                            caused.setdefault(value[at + 16 : at + 52], now)

    async def wait_marked(self, keys: set[bytes], within: float) -> float:
        """The time the last of ``keys`` was marked."""
        deadline = time.monotonic() + within
        while not keys.issubset(self.marked.keys()):
            if time.monotonic() > deadline:
                missing = len(keys - self.marked.keys())
                raise TimeoutError(f"{missing} of {len(keys)} never seen on {self.topic}")
            await asyncio.sleep(0.05)
        return max(self.marked[key] for key in keys)

    async def wait_caused(self, ids: set[bytes], within: float) -> int:
        """Wait until every id caused an event (or ``within`` passes); how many did not."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            missing = len(ids - self.caused.keys())
            if not missing:
                return 0
            await asyncio.sleep(0.05)
        return len(ids - self.caused.keys())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def warm_up(kafka: str, clock: TopicClock, make: "WarmupFact", within: float = 90) -> None:
    """Publish one fact a second until one comes out: the consumer is assigned and its
    position resolved (a new group reading from "latest" skips what came before)."""
    publisher = producer(kafka)
    await publisher.start()
    try:
        deadline = time.monotonic() + within
        sent: set[bytes] = set()
        while time.monotonic() < deadline:
            topic, key, value = make()
            await publisher.send_and_wait(topic, value, key=key)
            sent.add(key)
            for _ in range(20):
                if sent & clock.keys.keys():
                    say("warm: the pipeline answers")
                    return
                await asyncio.sleep(0.05)
        raise TimeoutError("nothing came out of the pipeline during the warm-up")
    finally:
        await publisher.stop()


class WarmupFact:
    """Warm-up facts: a new job of tenant ``bench-warmup`` dispatched, on ``topic``."""

    def __init__(self, topic: str) -> None:
        self._topic, self._factory = topic, FactFactory()

    def __call__(self) -> tuple[str, bytes, bytes]:
        first = self._factory.job(tenant="bench-warmup")[0]
        return self._topic, first.key, first.value


def free_url() -> tuple[int, str]:
    port = free_port()
    return port, f"http://127.0.0.1:{port}"

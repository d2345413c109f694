"""Benchmark: SMS deliveries per second through the comms service, one and two workers.

The Twilio sandbox runs as its own process answering each create in 50 ms; the comms
workers run as operators run them (``python -m jobline_comms.cli serve``, one consumer
group, the per-sender rate limit off as the issue asks: 50 tenants, each with its own number) on a
fresh ``jobline_bench_comms`` database for each run. After a
warm-up, N ``sms.send`` commands are published as fast as the producer takes them; a
figure is N over the time from the first publish to the last ``sent`` event on
``bench.comms.events.v1`` (the provider accepted every message; its ``delivered`` callbacks
follow and are reported too).
"""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import (
    ROOT,
    BenchResult,
    git_commit,
    machine,
    now_utc,
    partitions_of,
    read_from_now,
    recreate_database,
    say,
    setting,
)
from bench.service import free_port, wait_ready
from jobline_comms.config import Settings
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS
from jobline_infra.kafka_topics import ensure_topics

TITLE = "Comms deliveries (SMS through the Twilio sandbox at 50 ms)"
DATABASE = "jobline_bench_comms"
GOLDEN = ROOT / "contracts/examples/comms.commands.v1/sms.send.v1.json"
# 3,000 commands make a window of seconds, so the pipeline's fill and drain (a few tenths
# of a second: first poll, last callback, last relay) is a small part of it.
LATENCY_MS, COMMANDS, WARMUP = 50, 3000, 50
TARGET_PER_WORKER = 300.0
IN_FLIGHT = Settings.model_fields["send_concurrency"].default
# Issue 6 measures with the rate limit off (0): the worker's own throughput, not a long
# code's 1/s. Each of the 50 tenants still texts from its own number.
TENANTS, RATE_PER_SENDER = 50, 0
SENDERS = {f"bench-{n}": f"+1500555{n:04d}" for n in range(TENANTS)}
# Topics of its own: a comms worker of `make up` never takes (or competes for) these.
PREFIX = "bench."
COMMANDS_TOPIC, EVENTS = PREFIX + COMMS_COMMANDS.name, PREFIX + COMMS_EVENTS.name
LOGS = ROOT / ".run" / "logs"


@dataclass(frozen=True)
class Run:
    workers: int
    sent_per_s: float
    delivered_per_s: float
    publish_s: float


def run() -> BenchResult:
    started = time.perf_counter()
    kafka = setting("KAFKA_BOOTSTRAP_SERVERS")
    runs = []
    with _sandbox() as twilio_url:
        for workers in (1, 2):
            database_url = asyncio.run(recreate_database(setting("DATABASE_URL"), DATABASE))
            with ExitStack() as stack:
                group = f"bench-comms-{uuid.uuid4().hex[:12]}"
                asyncio.run(_start_group_at_end(kafka, group))
                for n in range(workers):
                    stack.enter_context(_worker(n, database_url, kafka, twilio_url, group))
                say(f"{workers} comms worker(s) ready; publishing {COMMANDS} sms.send")
                runs.append(asyncio.run(_measure(workers, kafka)))
    seconds = time.perf_counter() - started
    one, two = runs
    figures = {
        "comms_deliveries_per_s_1w": round(one.sent_per_s, 1),
        "comms_deliveries_per_s_2w": round(two.sent_per_s, 1),
    }
    return BenchResult(figures, _markdown(runs, seconds))


async def _start_group_at_end(kafka: str, group: str) -> None:
    """Commit the new group's start at the commands topic's end before any worker joins.

    Starting from ``latest`` instead, a worker resolves "latest" whenever a partition comes
    to it; when the second worker's join moved partitions after the first had said ready,
    commands published meanwhile were skipped and the run timed out waiting for them.
    """
    topics = [replace(spec, name=PREFIX + spec.name) for spec in (COMMS_COMMANDS, COMMS_EVENTS)]
    await ensure_topics(kafka, topics, client_id="jobline-bench")
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, COMMANDS_TOPIC)
        consumer.assign(tps)
        await consumer.commit(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


@contextmanager
def _process(name: str, module: str, args: list[str], env: dict[str, str]) -> Iterator[None]:
    """A child process logging to .run/logs/<name>.log, terminated on exit."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", module, *args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def _sandbox() -> Iterator[str]:
    port = free_port()
    env = {"JOBLINE_SANDBOX_TWILIO_PORT": str(port), "JOBLINE_SANDBOX_TWILIO_LATENCY_MS": "50"}
    with _process("bench-twilio-sandbox", "jobline_sandboxes.cli", ["twilio"], env):
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, "bench-twilio-sandbox", LOGS / "bench-twilio-sandbox.log")
        yield url


@contextmanager
def _worker(n: int, database_url: str, kafka: str, twilio_url: str, group: str) -> Iterator[None]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "JOBLINE_COMMS_HTTP_PORT": str(port),
        "JOBLINE_COMMS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Its own group, started at the topic's end (_start_group_at_end).
        "JOBLINE_COMMS_CONSUMER_GROUP": group,
        "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_COMMS_TWILIO_BASE_URL": twilio_url,
        "JOBLINE_COMMS_RATE_LIMIT_PER_SECOND": str(RATE_PER_SENDER),
        "JOBLINE_COMMS_TOPIC_PREFIX": PREFIX,
        "JOBLINE_COMMS_SMS_SENDERS": json.dumps(SENDERS),
        "JOBLINE_COMMS_WORKER_ID": f"bench-{n}",
    }
    name = f"bench-comms-{n}"
    with _process(name, "jobline_comms.cli", ["serve"], env):
        wait_ready(f"http://127.0.0.1:{port}", name, LOGS / f"{name}.log")
        yield


def _commands(count: int) -> list[tuple[bytes, bytes]]:
    """``count`` copies of the golden sms.send with fresh ids: (key, value)."""
    golden = json.loads(GOLDEN.read_text())
    out = []
    for n in range(count):
        message = {**golden, "message_id": str(uuid.uuid4()), "tenant_id": f"bench-{n % TENANTS}"}
        message["payload"] = {
            **golden["payload"],
            "delivery_id": str(uuid.uuid4()),
            "communication_id": str(uuid.uuid4()),
            "to": f"+1555{n:07d}",
        }
        out.append((message["payload"]["delivery_id"].encode(), json.dumps(message).encode()))
    return out


class EventClock:
    """When each delivery's ``sent`` and ``delivered`` events were read."""

    def __init__(self, kafka: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
        self.at: dict[str, dict[bytes, float]] = {"sent": {}, "delivered": {}}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await read_from_now(self._consumer, EVENTS)
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for record in self._consumer:
            status = json.loads(record.value or b"{}").get("payload", {}).get("status")
            if status in self.at and record.key is not None:
                self.at[status].setdefault(record.key, time.perf_counter())

    async def wait(self, status: str, keys: list[bytes], within: float) -> float:
        """The time the last of ``keys`` reached ``status``."""
        deadline = time.monotonic() + within
        seen = self.at[status]
        while not all(key in seen for key in keys):
            if time.monotonic() > deadline:
                missing = sum(1 for key in keys if key not in seen)
                raise TimeoutError(f"{missing} deliveries never reached {status}")
            await asyncio.sleep(0.05)
        return max(seen[key] for key in keys)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def _measure(workers: int, kafka: str) -> Run:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    clock = EventClock(kafka)
    try:
        await producer.start()
        await clock.start()
        warmup = _commands(WARMUP)
        await _publish(producer, warmup)
        await clock.wait("delivered", [key for key, _ in warmup], within=60)
        timed = _commands(COMMANDS)
        began = time.perf_counter()
        await _publish(producer, timed)
        published = time.perf_counter()
        keys = [key for key, _ in timed]
        last_sent = await clock.wait("sent", keys, within=300)
        last_delivered = await clock.wait("delivered", keys, within=60)
    finally:
        await clock.stop()
        await producer.stop()
    run = Run(
        workers,
        COMMANDS / (last_sent - began),
        COMMANDS / (last_delivered - began),
        published - began,
    )
    say(f"{workers} worker(s): {run.sent_per_s:.0f} sent/s, {run.delivered_per_s:.0f} delivered/s")
    return run


async def _publish(producer: AIOKafkaProducer, commands: list[tuple[bytes, bytes]]) -> None:
    sending = [await producer.send(COMMANDS_TOPIC, value, key=key) for key, value in commands]
    await asyncio.gather(*sending)


def _markdown(runs: list[Run], seconds: float) -> str:
    rows = []
    for r in runs:
        per_worker = r.sent_per_s / r.workers
        verdict = "pass" if per_worker >= TARGET_PER_WORKER else "**FAIL**"
        rows.append(
            f"| {r.workers} | {r.sent_per_s:.0f} | {per_worker:.0f} | {r.delivered_per_s:.0f} "
            f"| {r.publish_s:.2f} s | {verdict} |"
        )
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"Run {now_utc()} · commit `{git_commit()}` · {machine()} · command `make bench` · "
            f"{seconds:.0f} s in all.",
            "",
            "The Twilio sandbox (`python -m jobline_sandboxes.cli twilio`, "
            f"`JOBLINE_SANDBOX_TWILIO_LATENCY_MS={LATENCY_MS}`) and the comms workers "
            "(`python -m jobline_comms.cli serve`, one consumer group, the per-sender rate "
            f"limit off: `JOBLINE_COMMS_RATE_LIMIT_PER_SECOND={RATE_PER_SENDER}`, and "
            f"`JOBLINE_COMMS_SMS_SENDERS` giving each of the {TENANTS} tenants its own number; "
            f"other settings at their defaults, among them {IN_FLIGHT} provider calls in flight "
            "per worker) are "
            f"separate processes on this machine, with PostgreSQL (database `{DATABASE}`, "
            "fresh for each run) and Kafka. After "
            f"{WARMUP} warm-up deliveries, {COMMANDS:,} `sms.send` commands are published as "
            "fast as the producer takes them. **Deliveries/s** = commands over the time from "
            f"the first publish to the last `sent` event on `{EVENTS}` (Twilio accepted "
            "the message, ledger and event committed, event relayed); delivered/s uses the "
            "last `delivered` event instead (the sandbox's status callbacks, 20 ms apart). "
            "**Per worker** = deliveries/s over the number of worker processes. Every process "
            "here (workers, sandbox, Kafka, PostgreSQL, the bench's own producer and consumer) "
            "shares this machine's CPUs, so the two-worker row measures the machine as much "
            "as a worker.",
            "",
            f"| workers | deliveries/s | per worker | delivered/s | publishing took | "
            f"≥ {TARGET_PER_WORKER:.0f}/s per worker |",
            "|--:|--:|--:|--:|--:|---|",
            *rows,
            "",
        ]
    )

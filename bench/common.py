"""What every benchmark shares: settings, timing statistics and a description of the run."""

import os
import platform
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {
    "DATABASE_URL": "postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
}


@dataclass(frozen=True)
class BenchResult:
    """What a benchmark module's ``run()`` returns."""

    figures: dict[str, float]
    markdown: str


def say(message: str) -> None:
    """Progress on the console; the results go to files."""
    print(f"[bench] {message}", flush=True)  # noqa: T201


def setting(name: str) -> str:
    """From the environment, else from .run/env (written by `make up`), else the default."""
    if value := os.environ.get(name):
        return value
    env_file = ROOT / ".run" / "env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == name and value.strip():
                return value.strip()
    return DEFAULTS[name]


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def recreate_database(server_url: str, database: str) -> str:
    """Drop ``database`` (whoever is connected) and create it empty; its URL."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return with_database(server_url, database)


async def partitions_of(
    consumer: AIOKafkaConsumer, topic: str, within: float = 30.0
) -> list[TopicPartition]:
    """Every partition of ``topic``, once the started consumer's metadata has them."""
    deadline = time.monotonic() + within
    while not (partitions := consumer.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic} has no partitions")
        await consumer._client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(partitions)]


async def read_from_now(consumer: AIOKafkaConsumer, topic: str) -> None:
    """Assign the started consumer all of ``topic`` at its end, positions resolved, so
    nothing published from now on is missed."""
    tps = await partitions_of(consumer, topic)
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)


@dataclass(frozen=True)
class Stats:
    """Latency percentiles of one measured operation, in milliseconds."""

    p50: float
    p95: float
    samples: int

    @classmethod
    def of(cls, samples_ms: list[float]) -> "Stats":
        cuts = quantiles(samples_ms, n=100, method="inclusive")
        return cls(p50=cuts[49], p95=cuts[94], samples=len(samples_ms))


def sample(operation: Callable[[], object], *, warmup: int, samples: int) -> Stats:
    """Run ``operation`` warmup times untimed, then time it ``samples`` times, one by one."""
    for _ in range(warmup):
        operation()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        operation()
        timings.append((time.perf_counter() - started) * 1000)
    return Stats.of(timings)


def git_commit() -> str:
    """The short commit, marked when the working tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - a fixed git command line
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} (+ uncommitted changes)" if git("status", "--porcelain") else commit


def machine() -> str:
    """CPUs, model, memory and OS, as one line."""
    cpus = len(os.sched_getaffinity(0))
    ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = f" ({line.split(':', 1)[1].strip()})"
                break
    return (
        f"{cpus} CPUs{model}, {ram_gib:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def sample_async(
    operation: Callable[[], Awaitable[object]], *, warmup: int, samples: int
) -> Stats:
    """``sample`` for coroutines."""
    for _ in range(warmup):
        await operation()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        await operation()
        timings.append((time.perf_counter() - started) * 1000)
    return Stats.of(timings)

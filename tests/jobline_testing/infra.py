"""Real Kafka and PostgreSQL for tests, found in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` from the environment;
2. testcontainers, when a Docker engine answers;
3. otherwise the local stack of ``deploy/local`` (started here if it is not running).

A test never skips because a service is missing: if none of these works, it fails.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap_servers: str
    database_url: str
    source: str


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    return probe.returncode == 0


def _script(name: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["bash", str(LOCAL / name), *args], check=False)


@contextmanager
def _local_stack() -> Iterator[Infra]:
    started = []
    for script in ("postgres.sh", "kafka.sh"):
        if _script(script, "status").returncode != 0:
            if _script(script, "start").returncode != 0:
                raise RuntimeError(f"deploy/local/{script} start failed")
            started.append(script)
        if _script(script, "wait").returncode != 0:
            raise RuntimeError(f"deploy/local/{script} did not become ready")
    if _script("postgres.sh", "ensure-db").returncode != 0:
        raise RuntimeError("deploy/local/postgres.sh ensure-db failed")
    try:
        yield Infra(
            kafka_bootstrap_servers="127.0.0.1:9092",
            database_url="postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable",
            source="local stack",
        )
    finally:
        for script in reversed(started):
            _script(script, "stop")


@contextmanager
def _containers() -> Iterator[Infra]:
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415 - only with Docker
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    with (
        PostgresContainer("postgres:15", driver=None) as pg,
        KafkaContainer().with_kraft() as kafka,
    ):
        yield Infra(kafka.get_bootstrap_server(), pg.get_connection_url(), "testcontainers")


@contextmanager
def provide() -> Iterator[Infra]:
    kafka, database = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    with ExitStack() as stack:
        if kafka and database:
            yield Infra(kafka, database, "environment")
        elif _docker_engine_answers():
            yield stack.enter_context(_containers())
        else:
            yield stack.enter_context(_local_stack())

"""The chaos stack: its own Kafka broker (19092), PostgreSQL cluster (``15/chaos`` on
15432), provider sandboxes and service processes, started fresh and always stopped."""

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from jobline_contracts.topics import TOPICS
from jobline_infra.kafka_topics import ensure_topics
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.sandboxes import Sandboxes, running_sandboxes
from jobline_testing.services import ServiceProcess

log = logging.getLogger("chaos")
ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "deploy" / "local"
RUN = ROOT / ".run" / "chaos"
KAFKA_PORT, KAFKA_CONTROLLER_PORT = 19092, 19093
PG_CLUSTER, PG_PORT = "chaos", 15432
TENANT = "chaos"
# Never the shared stack (9092, 5432, cluster main): other engineers' tests run on it.
assert KAFKA_PORT != 9092 and PG_PORT != 5432 and PG_CLUSTER != "main"  # noqa: S101, PT018

SCRIPT_ENV = {
    "JOBLINE_KAFKA_HOME": str(RUN / "kafka"),
    "JOBLINE_KAFKA_PORT": str(KAFKA_PORT),
    "JOBLINE_KAFKA_CONTROLLER_PORT": str(KAFKA_CONTROLLER_PORT),
    "JOBLINE_PG_CLUSTER": PG_CLUSTER,
    "JOBLINE_PG_PORT": str(PG_PORT),
}


async def script(name: str, *verbs: str) -> None:
    """``deploy/local/<name> <verb>`` for each verb, on the chaos instances only."""
    for verb in verbs:
        with (RUN / "logs" / "stack.log").open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                "bash", str(LOCAL / name), verb,
                env={**os.environ, **SCRIPT_ENV}, stdout=out, stderr=out,
            )  # fmt: skip
            if await process.wait() != 0:
                raise RuntimeError(f"{name} {verb} failed; see {RUN / 'logs' / 'stack.log'}")


class ChaosService(ServiceProcess):
    """A service in a process group of its own: a kill takes its render workers with it,
    as a crashed container would (SIGKILLing the parent alone leaves them orphaned)."""

    def start(self, *, ready_timeout: float = 120.0) -> None:
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 - our own services, by module name
                [sys.executable, "-m", f"jobline_{self.name}.cli", self.verb],
                env=self.env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,
            )  # fmt: skip
        self.wait_ready(ready_timeout)

    def kill(self) -> None:
        assert self.process is not None  # noqa: S101
        self._kill_group()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        super().stop()
        self._kill_group()  # whatever the service left behind

    def _kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Stack:
    """What the load, the faults and the checks need to reach."""

    bootstrap: str
    database_url: str
    sandboxes: Sandboxes
    pool: asyncpg.Pool
    token: str = ""
    services: dict[str, ChaosService] = field(default_factory=dict)

    @property
    def api_urls(self) -> list[str]:
        """The jobs API processes, which the load spreads its requests over."""
        return [s.url for name, s in self.services.items() if name.startswith("jobs-api")]

    async def kill(self, name: str) -> float:
        """SIGKILL ``name`` and start it again on the same port; returns seconds to ready."""
        service = self.services[name]
        await asyncio.to_thread(service.kill)
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(service.start)
        return asyncio.get_running_loop().time() - started

    async def restart_kafka(self) -> float:
        started = asyncio.get_running_loop().time()
        await script("kafka.sh", "stop", "start", "wait")
        return asyncio.get_running_loop().time() - started

    async def restart_postgres(self) -> float:
        started = asyncio.get_running_loop().time()
        await script("postgres.sh", "stop", "start", "wait")
        return asyncio.get_running_loop().time() - started

    def exited(self) -> list[str]:
        """Services that died although nobody killed them."""
        return [n for n, s in self.services.items() if s.process and s.process.poll() is not None]


def _service_envs(
    bootstrap: str, database_url: str, sandboxes: Sandboxes
) -> dict[str, dict[str, str]]:
    blobs = (RUN / "blobs").as_uri()
    common = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": database_url}
    comms = {
        **common,
        "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
        "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
        "JOBLINE_COMMS_BLOB_URL": blobs,
        "JOBLINE_COMMS_RATE_LIMIT_PER_SECOND": "25",
        "JOBLINE_COMMS_RETRY_BASE_SECONDS": "0.5",
        # A claim older than 8 s lost its worker: the sweep marks it unknown (never resent).
        "JOBLINE_COMMS_TWILIO_TIMEOUT": "3",
        "JOBLINE_COMMS_SMTP_TIMEOUT": "3",
        "JOBLINE_COMMS_CLAIM_TIMEOUT": "8",
        # comms-2 emails through the SendGrid sandbox (comms-1 through SMTP): both paths
        # under the same faults. Its signed events come back to comms-1.
        "JOBLINE_COMMS_SENDGRID_BASE_URL": sandboxes.sendgrid_url,
        "JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY": sandboxes.sendgrid.signer.public_key(),
        "JOBLINE_COMMS_SENDGRID_TIMEOUT": "3",
    }
    jobs = {
        **common,
        "JOBLINE_JOBS_BLOB_URL": blobs,
        "JOBLINE_JOBS_INVOICE_WAIT_SECONDS": "8",
        # A key whose request a kill cut short is taken over by the load's retry after
        # this, well inside the load's answer deadline.
        "JOBLINE_JOBS_IDEMPOTENCY_LEASE_SECONDS": "15",
        # The load counts every answer it was owed; a 429 would read as a lost request.
        "JOBLINE_JOBS_API_RATE_LIMIT": "off",
    }
    # Jobs scaled out: two API processes that also relay the outbox (its lanes split
    # between them, each lane relayed by one at a time) and two consumer processes of one
    # group (the partitions split between them).
    api = {**jobs, "JOBLINE_JOBS_ROLES": "api,relay"}
    return {
        "jobs-api-1": api,
        "jobs-api-2": api,
        "jobs-consume-1": jobs,
        "jobs-consume-2": jobs,
        "invoicing": {**common, "JOBLINE_INVOICING_BLOB_URL": blobs},
        "comms-1": {**comms, "JOBLINE_COMMS_WORKER_ID": "chaos-comms-1"},
        "comms-2": {
            **comms,
            "JOBLINE_COMMS_WORKER_ID": "chaos-comms-2",
            "JOBLINE_COMMS_EMAIL_PROVIDER": "sendgrid",
        },
    }


async def _start_service(name: str, env: dict[str, str]) -> ChaosService:
    verb = "consume" if name.startswith("jobs-consume") else "serve"
    service = ChaosService(name.split("-", maxsplit=1)[0], env, RUN / "logs", verb)
    service.log_path = RUN / "logs" / f"{name}.log"
    if name.startswith("comms"):
        # Twilio's status callbacks come back to the worker that sent the message.
        service.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = service.url
    await asyncio.to_thread(service.start)
    return service


async def _infrastructure() -> None:
    for path in (RUN / "logs", RUN / "blobs", RUN / "sandbox"):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    await script("kafka.sh", "stop")  # a broker left by an interrupted run
    shutil.rmtree(RUN / "kafka" / "data", ignore_errors=True)  # a fresh cluster every run
    await script("kafka.sh", "start", "wait")
    await script("postgres.sh", "start", "wait", "ensure-db")


async def _fresh_database(admin_url: str) -> str:
    """An empty database ``chaos`` (the last run's is kept until the next, to look into)."""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute("DROP DATABASE IF EXISTS chaos WITH (FORCE)")
        await admin.execute("CREATE DATABASE chaos")
    finally:
        await admin.close()
    return admin_url.rsplit("/", 1)[0] + "/chaos"


async def _stop_infrastructure() -> None:
    for name in ("kafka.sh", "postgres.sh"):
        try:
            await script(name, "stop")
        except RuntimeError as error:
            log.error("%s", error)  # noqa: TRY400 - the script's log has the details


@asynccontextmanager
async def running_stack() -> AsyncIterator[Stack]:
    """The whole chaos stack, stopped on the way out whatever happens."""
    bootstrap = f"127.0.0.1:{KAFKA_PORT}"
    admin_url = f"postgresql://jobline:jobline@127.0.0.1:{PG_PORT}/jobline?sslmode=disable"
    async with AsyncExitStack() as stack:
        stack.push_async_callback(_stop_infrastructure)
        await _infrastructure()
        await ensure_topics(bootstrap, TOPICS, client_id="chaos")
        database_url = await _fresh_database(admin_url)
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=8)
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            await migrate(conn)
            await add_tenant(conn, TENANT, "Chaos Plumbing", "UTC", "USD")
            token = await issue_token(conn, TENANT, "operator")
        sandboxes = await stack.enter_async_context(
            running_sandboxes(RUN / "sandbox", twilio_latency_ms=300, callback_delay_ms=50)
        )
        found = Stack(bootstrap, database_url, sandboxes, pool, token)
        envs = _service_envs(bootstrap, database_url, sandboxes)
        for name, env in envs.items():
            found.services[name] = await _start_service(name, env)
            stack.push_async_callback(asyncio.to_thread, found.services[name].stop)
        sandboxes.sendgrid.event_webhook_url = f"{found.services['comms-1'].url}/v1/sendgrid/events"
        yield found

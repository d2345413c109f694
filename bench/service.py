"""The jobs service as a child process (``python -m jobline_jobs.cli serve``), as operators
run it, for benchmarks that go through HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

import httpx

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JobsService:
    """Started on entry (waits for /readyz), always stopped on exit."""

    def __init__(self, database_url: str, kafka_bootstrap: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            # Its own group, reading only what is published from now on: a benchmark never
            # consumes (or competes for) another process's facts.
            "JOBLINE_JOBS_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:12]}",
            "JOBLINE_JOBS_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_JOBS_HTTP_PORT": str(self.port),
            # The benchmark measures the list at full speed with one token.
            "JOBLINE_JOBS_API_RATE_LIMIT": "off",
        }
        self.log_path = ROOT / ".run" / "logs" / "bench-jobs.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "JobsService":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jobline_jobs.cli", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        try:
            self._wait_ready(timeout=90)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None  # noqa: S101 - set by __enter__
        wait_ready(self.url, "jobs service", self.log_path, self.process, timeout=timeout)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), SIGKILL if it has not ended in 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def wait_ready(
    url: str,
    name: str,
    log: Path,
    process: "subprocess.Popen[bytes] | None" = None,
    timeout: float = 90.0,
) -> None:
    """Poll ``url``/readyz until it answers 200; fail early if ``process`` exits."""
    deadline, last = time.monotonic() + timeout, "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}): {_tail(log)}")
        try:
            answer = httpx.get(f"{url}/readyz", timeout=2)
            if answer.status_code == 200:
                return
            last = answer.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    raise TimeoutError(f"{name} not ready in {timeout} s ({last}): {_tail(log)}")

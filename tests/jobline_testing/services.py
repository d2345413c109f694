"""Running a Jobline service as a real process, as operators do."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """``jobline-<name> <verb>`` (``serve`` unless told) in a child process, with its log in
    a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, verb: str = "serve") -> None:
        self.name, self.verb = name, verb
        self.port = free_port()
        self.log_path = log_dir / f"{name}-{self.port}.log"
        # Finished spans as JSON lines beside the log, so tests can follow a trace.
        self.traces_path = log_dir / f"{name}-{self.port}.traces.jsonl"
        # Its own temp directory, so a test can see what the process spools there.
        self.temp_dir = log_dir / f"{name}-{self.port}.tmp"
        self.temp_dir.mkdir()
        self.env = {
            **os.environ,
            "TMPDIR": str(self.temp_dir),
            "JOBLINE_TRACES_FILE": str(self.traces_path),
            **env,
            f"JOBLINE_{name.upper()}_HTTP_PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"jobline_{self.name}.cli", self.verb],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                answer = httpx.get(f"{self.url}/readyz", timeout=2)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready in {timeout}s ({last}):\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no final commits — a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def rss_bytes(self) -> int:
        """The process's resident memory now, from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        (kib,) = (line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(kib) * 1024

    def temp_bytes(self) -> int:
        """What the process holds in its temp directory, in bytes: the files there, and
        those it holds open there (a ``TemporaryFile`` is unlinked as it is made, so only
        the process's descriptors show it)."""
        sizes: dict[int, int] = {}
        for found in self.temp_dir.rglob("*"):
            with contextlib.suppress(FileNotFoundError):  # removed while listed
                if found.is_file():
                    stat = found.stat()
                    sizes[stat.st_ino] = stat.st_size
        assert self.process is not None
        inside = f"{self.temp_dir.resolve()}/"
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):  # closed while listed
                if str(fd.readlink()).startswith(inside):
                    stat = fd.stat()  # the open file itself, unlinked or not
                    sizes[stat.st_ino] = stat.st_size
        return sum(sizes.values())

    def spans(self) -> list[dict[str, Any]]:
        """The spans this process exported so far."""
        if not self.traces_path.exists():
            return []
        # Only whole lines: the process may be writing the last one as we read.
        *whole, _partial = self.traces_path.read_text().split("\n")
        return [json.loads(line) for line in whole if line]

    def log_lines(self) -> list[str]:
        """Every line the process wrote (JSON objects, one per line)."""
        if not self.log_path.exists():
            return []
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if line]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""


def jobs_env(database_url: str, kafka_bootstrap: str, group: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # Own group, reading from when it joined: tests never replay other runs' facts.
        "JOBLINE_JOBS_CONSUMER_GROUP": group,
        "JOBLINE_JOBS_AUTO_OFFSET_RESET": "latest",
    }

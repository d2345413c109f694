"""Process CPU time read from /proc: what a run cost each process, whatever else ran."""

import os
from pathlib import Path

import asyncpg

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # Fields after the command name, which may hold spaces, closed by the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


class CpuMeter:
    """CPU seconds a set of processes spend between ``start()`` and ``stop()``."""

    def __init__(self, pids: list[int]) -> None:
        self._pids = pids
        self._started = 0.0
        self.seconds = 0.0

    def _total(self) -> float:
        return sum(cpu_seconds(pid) for pid in self._pids)

    def start(self) -> None:
        self._started = self._total()

    def stop(self) -> float:
        self.seconds = self._total() - self._started
        return self.seconds


class PgBackendsCpu:
    """CPU seconds the PostgreSQL backends of one database spend between ``start()`` and
    ``stop()`` (PostgreSQL on this machine: its processes' /proc). Backends that appear
    meanwhile count from zero; one that exits before ``stop()`` is lost."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._started: dict[int, float] = {}
        self.seconds = 0.0

    async def _backends(self) -> dict[int, float]:
        conn = await asyncpg.connect(self._url)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return {row["pid"]: cpu_seconds(row["pid"]) for row in rows}

    async def start(self) -> None:
        self._started = await self._backends()

    async def stop(self) -> float:
        now = await self._backends()
        self.seconds = sum(cpu - self._started.get(pid, 0.0) for pid, cpu in now.items())
        return self.seconds

"""The relay's CPU per row with CloudEvents headers and without: ``python -m bench.cloud_events``.

Relays 500-row batches of lifecycle rows through :class:`OutboxRelay` (tracing off, the
producer and the database faked, so only the relay's own Python is timed) twice: rows
with ``ce_id``/``ce_time``/``ce_subject`` (what the outboxes write since issue 19) and
rows without (as before), and prints the process CPU per row, best of 7; beside them,
what building each message's headers with the SDK (``CloudEvent`` + ``to_binary``) would
cost. Not one of ``make bench``'s sections; a quick before/after figure.
"""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from jobline_infra import cloud_events
from jobline_infra.outbox_relay import OutboxRelay

ROWS, ROUNDS = 500, 40


class _Producer:
    def __init__(self) -> None:
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done.set_result(None)

    async def send(self, *_: object, **__: object) -> asyncio.Future[None]:
        return self.done


class _Outbox:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def fetch(self, *_: object) -> list[dict[str, Any]]:
        return self.rows

    async def execute(self, *_: object) -> None:
        return None


def _rows(*, with_ce: bool) -> list[dict[str, Any]]:
    headers = json.dumps(
        {"message-type": "job.status_changed", **cloud_events.shared("job.status_changed", "jobs")}
    )
    rows = []
    for n in range(ROWS):
        job = str(uuid.uuid4())
        rows.append(
            {
                "outbox_id": n,
                "topic": "jobs.lifecycle.v1",
                "key": job.encode(),
                "value": b"{}" * 300,
                "headers": headers,
                "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "ce_id": str(uuid.uuid4()) if with_ce else None,
                "ce_time": "2026-12-07T17:36:05.771602Z" if with_ce else None,
                "ce_subject": job if with_ce else None,
            }
        )
    return rows


async def _relay_us(*, with_ce: bool) -> float:
    relay = OutboxRelay("postgresql://unused", _Producer(), schema="b", channel="c", lock_id=1)
    outbox, lanes, best = _Outbox(_rows(with_ce=with_ce)), range(relay.lanes), float("inf")
    for _ in range(8):
        start = time.process_time()
        for _ in range(ROUNDS):
            await relay.relay_batch(outbox, lanes)  # type: ignore[arg-type]
        best = min(best, (time.process_time() - start) / (ROUNDS * ROWS) * 1e6)
    return best


def _sdk_us() -> float:
    at, best = datetime.now(UTC), float("inf")
    for _ in range(7):
        start = time.process_time()
        for _ in range(5000):
            cloud_events.binary_headers("job.created", "jobs", str(uuid.uuid4()), at, "j")
        best = min(best, (time.process_time() - start) / 5000 * 1e6)
    return best


async def main() -> None:
    without, with_ce = await _relay_us(with_ce=False), await _relay_us(with_ce=True)
    print(f"relay CPU per row: {without:.2f} µs without CloudEvents columns, {with_ce:.2f} µs with")  # noqa: T201
    print(f"the SDK building one message's headers: {_sdk_us():.2f} µs")  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())

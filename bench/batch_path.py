"""CPU per fact of the jobs batch path alone: ``python -m bench.batch_path [facts] [batch]``.

Applies ``facts`` dispatch facts (already translated to commands) through ``handle_batch``
in batches of ``batch``, against a fresh database on the shared PostgreSQL, and prints
this process's CPU (``time.process_time()``) per fact: the Python the consumer spends on
a fact between decoding it and committing its rows. Not one of ``make bench``'s sections;
a quick before/after figure for the write path (``--profile`` leaves the pool warm for a
profiler attached from outside, e.g. ``py-spy record -- python -m bench.batch_path``).
"""

import asyncio
import gc
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from bench.common import recreate_database, say, setting
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.batches import handle_batch
from jobline_jobs.service_layer.unit_of_work import Causation

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TENANT = "bench-batch"


def dispatched(number: str) -> tuple[commands.Command, Causation]:
    technician, message_id = uuid.uuid4(), uuid.uuid4()
    line = commands.LineItem(
        uuid.uuid4(), None, "Work", Decimal(1), Decimal("100.00"), taxable=True
    )
    command = commands.DispatchJob(
        TENANT,
        T0,
        uuid.uuid4(),
        number,
        uuid.uuid4(),
        uuid.uuid4(),
        technician,
        "Fix the boiler",
        T0,
        T0 + timedelta(hours=2),
        "USD",
        Decimal("0.08"),
        (line,),
        commands.Visit(uuid.uuid4(), technician, T0, T0 + timedelta(hours=1)),
    )
    causation = Causation(
        "bench.dispatch-facts", message_id, "job.dispatched", message_id, T0, "upstream"
    )
    return command, causation


async def measure(facts: int, size: int) -> float:
    url = await recreate_database(setting("DATABASE_URL"), "jobline_bench_batch")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await add_tenant(conn, TENANT, "Bench Plumbing", "America/Denver", "USD")
        items = [dispatched(f"J-{n}") for n in range(facts)]
        await handle_batch(lambda: PostgresBatch(pool), [dispatched(f"W-{n}") for n in range(50)])
        # The facts made up front would otherwise be traversed by every full collection,
        # a cost the consumer (holding one batch at a time) does not pay.
        gc.freeze()
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, facts, size):
            await handle_batch(lambda: PostgresBatch(pool), items[start : start + size])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await pool.close()
    say(f"{facts} facts in batches of {size}: {wall:.2f} s wall, {facts / wall:.0f} facts/s")
    return cpu / facts * 1e6


def main() -> None:
    facts = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    say(f"batch path CPU per fact: {asyncio.run(measure(facts, size)):.0f} µs")


if __name__ == "__main__":
    main()

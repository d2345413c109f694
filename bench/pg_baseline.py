"""The bare database: batch inserts of fact-sized rows through asyncpg, nothing else.

Rows like the jobs service writes per fact (a uuid key, a tenant, ~700 bytes of JSON),
1,000 to a transaction, one connection: with ``executemany`` and with ``COPY``. It is the
most this PostgreSQL takes from one Python connection on this machine.
"""

import json
import time
import uuid
from dataclasses import dataclass

import asyncpg

BATCH = 1000


@dataclass(frozen=True)
class PgRun:
    rows: int
    executemany_per_s: float
    copy_per_s: float


async def measure(url: str, rows: int) -> PgRun:
    detail = json.dumps({"payload": "x" * 600, "job_number": "B-0000001"})
    data = [(uuid.uuid4(), f"bench-t{n % 100:03d}", uuid.uuid4(), detail) for n in range(rows)]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """CREATE UNLOGGED TABLE IF NOT EXISTS public.bench_rows (
                   id uuid PRIMARY KEY, tenant_id text NOT NULL, job_id uuid NOT NULL,
                   details jsonb NOT NULL)"""
        )
        await conn.execute("ALTER TABLE public.bench_rows SET LOGGED")  # as the real tables
        rates = []
        for copy in (False, True):
            await conn.execute("TRUNCATE public.bench_rows")
            started = time.perf_counter()
            for at in range(0, rows, BATCH):
                chunk = data[at : at + BATCH]
                async with conn.transaction():
                    if copy:
                        await conn.copy_records_to_table(
                            "bench_rows", schema_name="public", records=chunk
                        )
                    else:
                        await conn.executemany(
                            "INSERT INTO public.bench_rows VALUES ($1, $2, $3, $4)", chunk
                        )
            rates.append(rows / (time.perf_counter() - started))
        await conn.execute("DROP TABLE public.bench_rows")
    finally:
        await conn.close()
    return PgRun(rows, rates[0], rates[1])

"""The Jobs list benchmark's database: ``jobline_bench`` with a million jobs, made fast.

Seeding loads generated rows (``bench.jobs_data``) with COPY. While the jobs are loaded,
the table's secondary indexes are dropped and its user triggers disabled (the view-count
trigger would otherwise run a million upserts); afterwards the indexes are rebuilt from
their saved definitions, ``jobs.view_counts`` is recomputed exactly as migration 0002
does, and everything is vacuumed and analysed. A marker row, written last, records what
was seeded: re-runs reuse a complete database and re-create anything else from scratch,
so a half-finished seed never survives.
"""

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from bench.common import recreate_database, say, with_database
from bench.jobs_data import (
    CUSTOMER_COLUMNS,
    JOB_COLUMNS,
    JOBS,
    LARGEST,
    PROPERTY_COLUMNS,
    TECHNICIAN_COLUMNS,
    TENANT_COLUMNS,
    TENANTS,
    TODAY_COLUMNS,
    tenant_rows,
    tenants,
)
from jobline_jobs.adapters.migrate import migrate

# Another name (JOBS_BENCH_DATABASE) measures a copy, leaving the shared one as it is.
DATABASE = os.environ.get("JOBS_BENCH_DATABASE", "jobline_bench")
SEED_VERSION = 1  # bump when the generated data changes, to force a re-seed
MARKER = (SEED_VERSION, TENANTS, JOBS, LARGEST)

BENCH_SCHEMA = f"""
CREATE SCHEMA bench;
COMMENT ON DATABASE {DATABASE} IS 'Jobline benchmark data (bench/jobs_seed.py); re-creatable';
-- One row, written when seeding finished.
CREATE TABLE bench.seed (seed_version int, tenants int, jobs int, largest int,
                         seeded_at timestamptz, seconds float8);
-- The jobs scheduled "today" at seeding time and their local start, moved to each run's today.
CREATE TABLE bench.today_jobs (tenant_id text, job_id uuid, local_time time,
                               PRIMARY KEY (tenant_id, job_id));
"""

# Migration 0002's own recount, after the trigger was off during COPY.
RECOUNT_VIEWS = """
DELETE FROM jobs.view_counts;
INSERT INTO jobs.view_counts (tenant_id, bucket, shard, n)
SELECT tenant_id, jobs.view_bucket(step, deferred_at), 0, count(*)
  FROM jobs.jobs GROUP BY 1, 2;
"""

# What DISABLE TRIGGER USER switches off, and what the seed recomputes in their place.
# (jobs_customer_name: the seed writes customer_name itself; customers_renamed, on
# jobs.customers, would update jobs per customer while their indexes are dropped.)
KNOWN_TRIGGERS = {
    "jobs_count_views_insert_delete",
    "jobs_count_views_update",
    "jobs_customer_name",
}
USER_TRIGGERS = """
SELECT tgname FROM pg_trigger WHERE tgrelid = 'jobs.jobs'::regclass AND NOT tgisinternal
"""

SECONDARY_INDEXES = """
SELECT c.relname, pg_get_indexdef(x.indexrelid) AS definition, a.amname
  FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam
 WHERE x.indrelid = 'jobs.jobs'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
"""

MOVE_TODAY = """
WITH moved AS (
    SELECT t.tenant_id, t.job_id,
           ((now() AT TIME ZONE n.time_zone)::date + t.local_time) AT TIME ZONE n.time_zone AS at
      FROM bench.today_jobs t JOIN jobs.tenants n USING (tenant_id))
UPDATE jobs.jobs j
   SET scheduled_start = m.at, scheduled_end = m.at + interval '2 hours',
       completed_at = CASE WHEN j.completed_at IS NOT NULL THEN m.at + interval '2 hours' END
  FROM moved m
 WHERE j.tenant_id = m.tenant_id AND j.job_id = m.job_id AND j.scheduled_start <> m.at
"""


@dataclass(frozen=True)
class Seeding:
    url: str
    seeded: bool  # False: an existing database was reused
    seconds: float  # how long seeding took, in this run or the one that seeded
    seeded_at: datetime


async def ensure(server_url: str) -> Seeding:
    """The bench database, migrated and seeded; reused when its marker matches."""
    url = with_database(server_url, DATABASE)
    started = time.perf_counter()
    seeded = not await _is_seeded(url)
    if seeded:
        say(f"seeding {DATABASE}: {JOBS:,} jobs, {TENANTS} tenants, largest {LARGEST:,}")
        await recreate_database(server_url, DATABASE)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        if seeded:
            await _seed(conn, url)
            await conn.execute(  # the marker, last: only a complete seed has one
                "INSERT INTO bench.seed VALUES ($1, $2, $3, $4, now(), $5)",
                *MARKER,
                time.perf_counter() - started,
            )
        moved = await conn.execute(MOVE_TODAY)
        say(f"today's jobs moved to this run's today: {moved.split()[-1]}")
        marker = await conn.fetchrow("SELECT seconds, seeded_at FROM bench.seed")
        if marker is None:
            raise RuntimeError(f"{DATABASE} has no seed marker")
    finally:
        await conn.close()
    say(f"{'seeded' if seeded else 'reused'} {DATABASE} in {time.perf_counter() - started:.1f} s")
    return Seeding(url, seeded, marker["seconds"], marker["seeded_at"])


async def _is_seeded(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        if await conn.fetchval("SELECT to_regclass('bench.seed')") is None:
            return False
        row = await conn.fetchrow("SELECT seed_version, tenants, jobs, largest FROM bench.seed")
        return (
            row is not None
            and tuple(row) == MARKER
            and await conn.fetchval("SELECT count(*) FROM jobs.jobs") == JOBS
        )
    finally:
        await conn.close()


async def _seed(conn: asyncpg.Connection, url: str) -> None:
    started, now = time.perf_counter(), datetime.now(UTC)
    await conn.execute(BENCH_SCHEMA)
    everyone = tenants()
    await _copy(conn, "tenants", TENANT_COLUMNS, [t.row() for t in everyone])
    indexes = await conn.fetch(SECONDARY_INDEXES)
    for index in indexes:  # rebuilt once at the end: far cheaper than a million inserts
        await conn.execute(f'DROP INDEX jobs."{index["relname"]}"')
    triggers = {r["tgname"] for r in await conn.fetch(USER_TRIGGERS)}
    if triggers != KNOWN_TRIGGERS:  # skipping an unknown trigger would leave wrong data
        raise RuntimeError(f"triggers on jobs.jobs changed ({sorted(triggers)}): teach the seed")
    # No try/finally: a seed that fails half-way has no marker, so the next run re-creates
    # the database, triggers and indexes included.
    await conn.execute("ALTER TABLE jobs.jobs DISABLE TRIGGER USER")
    await conn.execute("ALTER TABLE jobs.customers DISABLE TRIGGER USER")
    for n, tenant in enumerate(everyone, start=1):
        rows = tenant_rows(tenant, now)
        await _copy(conn, "customers", CUSTOMER_COLUMNS, rows.customers)
        await _copy(conn, "properties", PROPERTY_COLUMNS, rows.properties)
        await _copy(conn, "technicians", TECHNICIAN_COLUMNS, rows.technicians)
        await _copy(conn, "jobs", JOB_COLUMNS, rows.jobs)
        await _copy(conn, "today_jobs", TODAY_COLUMNS, rows.today, schema="bench")
        if n % 20 == 0:
            say(f"  {n} tenants copied ({time.perf_counter() - started:.0f} s)")
    await conn.execute(RECOUNT_VIEWS)
    await conn.execute("ALTER TABLE jobs.jobs ENABLE TRIGGER USER")
    await conn.execute("ALTER TABLE jobs.customers ENABLE TRIGGER USER")
    say(f"  rows copied, view counts recomputed ({time.perf_counter() - started:.0f} s)")
    await _rebuild(url, [(r["amname"], r["definition"]) for r in indexes])
    say(f"  {len(indexes)} indexes rebuilt ({time.perf_counter() - started:.0f} s)")
    await conn.execute("VACUUM ANALYZE")  # hint bits and visibility map, as autovacuum would


async def _copy(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[object, ...]],
    schema: str = "jobs",
) -> None:
    await conn.copy_records_to_table(table, records=rows, columns=columns, schema_name=schema)


async def _rebuild(url: str, indexes: list[tuple[str, str]]) -> None:
    """The trigram index on one connection, the b-trees on another: one per core."""
    gin = [definition for method, definition in indexes if method == "gin"]
    others = [definition for method, definition in indexes if method != "gin"]
    await asyncio.gather(_create(url, gin), _create(url, others))


async def _create(url: str, definitions: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute("SET max_parallel_maintenance_workers = 0")
        for definition in definitions:
            await conn.execute(definition)
    finally:
        await conn.close()

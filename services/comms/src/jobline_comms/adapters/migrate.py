"""Apply the SQL migrations in order, once each, recorded in a version table."""

import logging
from importlib.resources import files

from jobline_comms.adapters.pg import Connection

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every comms process.
_MIGRATION_LOCK = 0x434F4D53  # "COMS"


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in files("jobline_comms.adapters.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text()))
    return sorted(found)


async def migrate(conn: Connection) -> list[str]:
    """Bring the ``comms`` schema up to date; returns the names of migrations applied.

    An advisory lock serialises concurrent starters, so replicas can all call this.
    """
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE SCHEMA IF NOT EXISTS comms;
               CREATE TABLE IF NOT EXISTS comms.schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"] for r in await conn.fetch("SELECT version FROM comms.schema_migrations")
        }
        for version, name, sql in _migrations():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO comms.schema_migrations (version, name) VALUES ($1, $2)",
                    version,
                    name,
                )
            log.info("applied migration %s", name)
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied

"""Apply a service's SQL migrations in order, once each, recorded in a version table."""

import logging
from importlib.resources import files

from jobline_infra.postgres import Connection

log = logging.getLogger(__name__)


def _migrations(package: str) -> list[tuple[int, str, str]]:
    found = []
    for entry in files(package).iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text()))
    return sorted(found)


async def migrate(conn: Connection, *, schema: str, package: str, lock_id: int) -> list[str]:
    """Bring ``schema`` up to date from the ``NNNN_name.sql`` files of ``package``; returns
    the names applied. An advisory lock (``lock_id``, one per service) serialises
    concurrent starters, so every replica can call this at start-up."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", lock_id)
    try:
        await conn.execute(
            f"""CREATE SCHEMA IF NOT EXISTS {schema};
                CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"]
            for r in await conn.fetch(f"SELECT version FROM {schema}.schema_migrations")  # noqa: S608 - a fixed schema name
        }
        for version, name, sql in _migrations(package):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    f"INSERT INTO {schema}.schema_migrations (version, name) VALUES ($1, $2)",  # noqa: S608
                    version,
                    name,
                )
            log.info("applied migration %s.%s", schema, name)
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
    return applied

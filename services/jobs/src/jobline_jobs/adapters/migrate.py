"""The jobs schema's migrations (SQL files in ``adapters/migrations``)."""

from jobline_infra.migrations import migrate as run_migrations
from jobline_infra.postgres import Connection

_MIGRATION_LOCK = 0x4A4F4253  # "JOBS": the same for every jobs process


async def migrate(conn: Connection) -> list[str]:
    """Bring the ``jobs`` schema up to date; returns the names of migrations applied."""
    return await run_migrations(
        conn, schema="jobs", package="jobline_jobs.adapters.migrations", lock_id=_MIGRATION_LOCK
    )

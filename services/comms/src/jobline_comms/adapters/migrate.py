"""The comms schema's migrations (SQL files in ``adapters/migrations``)."""

from jobline_infra.migrations import migrate as run_migrations
from jobline_infra.postgres import Connection

_MIGRATION_LOCK = 0x434F4D53  # "COMS": the same for every comms process


async def migrate(conn: Connection) -> list[str]:
    """Bring the ``comms`` schema up to date; returns the names of migrations applied."""
    return await run_migrations(
        conn, schema="comms", package="jobline_comms.adapters.migrations", lock_id=_MIGRATION_LOCK
    )

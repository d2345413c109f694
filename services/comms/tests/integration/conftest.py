"""The comms adapters on a real PostgreSQL: the session's fresh database, comms-migrated."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from jobline_comms.adapters.attempts import PostgresAttempts
from jobline_comms.adapters.migrate import migrate
from jobline_comms.adapters.opt_outs import PostgresOptOuts
from jobline_comms.adapters.reports import PostgresReports
from jobline_comms.adapters.unit_of_work import BatchedChanges, PostgresUnitOfWork
from jobline_comms.service_layer.handlers import Services


@pytest.fixture(scope="session")
async def comms_database_url(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return database_url


@pytest.fixture(scope="session")
async def comms_pool(comms_database_url: str) -> AsyncIterator["asyncpg.Pool[Any]"]:
    pool = await asyncpg.create_pool(comms_database_url, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
def services(services: Services, comms_pool) -> Services:
    """The handlers on the PostgreSQL adapters (the fake providers kept)."""
    return replace(
        services,
        unit_of_work=lambda: PostgresUnitOfWork(
            comms_pool, consumer="comms-test", claim_timeout=60.0
        ),
        changes=BatchedChanges(comms_pool, consumer="comms-test"),
        attempts=PostgresAttempts(comms_pool),
        reports=PostgresReports(comms_pool),
        opt_outs=PostgresOptOuts(comms_pool),
    )

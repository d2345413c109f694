"""The comms ledger on a real PostgreSQL: the session's fresh database, comms-migrated."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from jobline_comms.adapters.ledger import PostgresLedger
from jobline_comms.adapters.migrate import migrate


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
def ledger(comms_pool) -> PostgresLedger:
    return PostgresLedger(comms_pool, consumer="comms-test", claim_timeout=60.0)

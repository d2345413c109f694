"""Fixtures the end-to-end tests of the running services share."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.services import ServiceProcess


@pytest.fixture
async def api(
    jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The jobs API as an operator of ``tenant``; the token is ``api.token``."""
    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    async with httpx.AsyncClient(
        base_url=jobs_service.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        client.token = token  # type: ignore[attr-defined]
        yield client

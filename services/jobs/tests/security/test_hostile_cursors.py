"""Hand-built list cursors: each is refused with 422 ``invalid_cursor`` before a statement
is sent, never a 500 from PostgreSQL (a NUL in text, a lone surrogate, a time that
overflows on its way to UTC), on every list that pages with a cursor."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs.domain.views import View
from jobline_jobs.entrypoints.api import cursor
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def _built(raw: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def _hostile(query: str, key: str) -> dict[str, str]:
    """Cursors that name the right list but carry what PostgreSQL cannot take."""
    at = NOW.isoformat()
    return {
        "nul in the key": _built({"s": at, "n": "J-1\x00", "q": query}),
        "lone surrogate": _built({"s": at, "n": key + "\ud800", "q": query}),
        "year 1 east of UTC": _built({"s": "0001-01-01T00:00:00+14:00", "n": key, "q": query}),
        "year 9999 west of UTC": _built({"s": "9999-12-31T23:00:00-14:00", "n": key, "q": query}),
        "nul in the time": _built({"s": at + "\x00", "n": key, "q": query}),
        "naive time": _built({"s": "2026-01-01T00:00:00", "n": key, "q": query}),
        "not json": base64.urlsafe_b64encode(b"\x00\xff{").decode(),
        "a list": _built([at, key, query]),
        "not base64": "%%%\x00",
    }


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: self.seen.append(logged.query))


@pytest.fixture
async def counted(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, Statements]]:
    statements = Statements()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, init=statements.attach)
    yield pool, statements
    await pool.close()


async def _refused_before_any_statement(pool, statements, token, url, cursors, tmp_path):
    async with client(api_app(pool, tmp_path), token) as api:
        for name, hostile in cursors.items():
            await api.get("/v1/jobs/views")  # the token is resolved and counted first
            statements.seen.clear()
            answer = await api.get(url, params={"cursor": hostile})
            assert answer.status_code == 422, (name, answer.text)
            assert answer.json()["error"]["code"] in {"invalid_cursor", "invalid_request"}, name
            reached = [q for q in statements.seen if "jobs." in q and "api_tokens" not in q]
            assert reached == [], (name, reached)


async def test_hostile_cursors_on_the_jobs_list_are_422(db: asyncpg.Pool, counted, tmp_path):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    query = cursor.fingerprint(View.ALL, None, None, None, None)
    pool, statements = counted
    await _refused_before_any_statement(
        pool, statements, seeded.token, "/v1/jobs", _hostile(query, "J-1"), tmp_path
    )


@pytest.mark.parametrize("list_path", ["communications", "invoice/sends"])
async def test_hostile_cursors_on_a_jobs_sends_are_422(
    db: asyncpg.Pool, counted, tmp_path, list_path: str
):
    invoices_only = list_path == "invoice/sends"
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1))
    query = cursor.fingerprint("communications", job.job_id, invoices_only)
    cursors = {
        **_hostile(query, str(uuid.uuid4())),
        "key not an id": _built({"s": NOW.isoformat(), "n": "J-1", "q": query}),
    }
    pool, statements = counted
    url = f"/v1/jobs/{job.job_id}/{list_path}"
    await _refused_before_any_statement(pool, statements, seeded.token, url, cursors, tmp_path)


async def test_hostile_cursors_on_a_jobs_timeline_are_422(db: asyncpg.Pool, counted, tmp_path):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1))
    query = cursor.fingerprint("timeline", job.job_id)
    cursors = {
        **_hostile(query, "1"),
        "key not an entry": _built({"s": NOW.isoformat(), "n": "J-1", "q": query}),
        "key past bigint": _built({"s": NOW.isoformat(), "n": "9" * 30, "q": query}),
    }
    pool, statements = counted
    url = f"/v1/jobs/{job.job_id}/timeline"
    await _refused_before_any_statement(pool, statements, seeded.token, url, cursors, tmp_path)

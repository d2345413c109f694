"""A job's communications and invoice sends come in bounded pages with keyset cursors,
each page read with one SQL statement however many sends and recipients it holds (the
console polls these lists every second or two)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
SENDS = 7


class Statements:
    """Every statement the pool's connections run (asyncpg's query logger)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: self.seen.append(logged.query))

    def about_communications(self) -> list[str]:
        tables = ("jobs.communications", "jobs.deliveries", "jobs.jobs", "jobs.contacts")
        return [q for q in self.seen if any(t in q for t in tables)]


@pytest.fixture
async def counted(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, Statements]]:
    statements = Statements()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, init=statements.attach)
    yield pool, statements
    await pool.close()


async def _job_with_sends(db: asyncpg.Pool, tmp_path) -> tuple[TenantSeeder, uuid.UUID, list]:
    """A job with SENDS texts to two recipients each, the 2nd and 5th marked as invoice
    sends (their rows as an invoice send writes them)."""
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1), steps=3)
    people = await seeded.contacts(
        job, ("Dana", "+15555550101", None), ("Sam", "+15555550102", None)
    )
    sent = []
    async with client(api_app(db, tmp_path), seeded.token) as api:
        for n in range(SENDS):
            answer = await api.post(
                f"/v1/jobs/{job.job_id}/communications",
                json={"channel": "sms", "recipient_ids": [str(p) for p in people], "body": f"{n}"},
            )
            assert answer.status_code == 202, answer.text
            sent.append(answer.json()["communication_id"])
    for n in (1, 4):
        await db.execute(
            """INSERT INTO jobs.invoice_sends (tenant_id, communication_id, job_id,
                      invoice_number, snapshot_sha256, pdf_sha256)
               VALUES ($1, $2, $3, $4, 'snap', 'pdf')""",
            seeded.tenant_id,
            uuid.UUID(sent[n]),
            job.job_id,
            f"INV-{n}",
        )
    return seeded, job.job_id, sent


async def _all_pages(api, url: str, limit: int) -> list[dict]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await api.get(url, params=params)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_communications_come_in_pages_oldest_first_each_in_one_statement(
    db: asyncpg.Pool, counted, tmp_path
):
    seeded, job_id, sent = await _job_with_sends(db, tmp_path)
    pool, statements = counted
    async with client(api_app(pool, tmp_path), seeded.token) as api:
        statements.seen.clear()
        pages = await _all_pages(api, f"/v1/jobs/{job_id}/communications", limit=3)
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [c["id"] for p in pages for c in p["items"]] == sent
    assert all(len(c["deliveries"]) == 2 for p in pages for c in p["items"])
    assert [d["recipient_name"] for d in pages[0]["items"][0]["deliveries"]] == ["Dana", "Sam"]
    # One statement per page (the job's existence included), not 2 + 1 + 2 per send.
    assert len(statements.about_communications()) == len(pages)


async def test_invoice_sends_page_over_the_invoice_sends_only(db: asyncpg.Pool, counted, tmp_path):
    seeded, job_id, sent = await _job_with_sends(db, tmp_path)
    pool, statements = counted
    async with client(api_app(pool, tmp_path), seeded.token) as api:
        statements.seen.clear()
        pages = await _all_pages(api, f"/v1/jobs/{job_id}/invoice/sends", limit=1)
    assert [[c["id"] for c in p["items"]] for p in pages] == [[sent[1]], [sent[4]]]
    assert [p["items"][0]["invoice_number"] for p in pages] == ["INV-1", "INV-4"]
    assert len(statements.about_communications()) == len(pages)


async def test_the_default_page_is_50_and_a_page_is_at_most_200(db: asyncpg.Pool, tmp_path):
    seeded, job_id, sent = await _job_with_sends(db, tmp_path)
    async with client(api_app(db, tmp_path), seeded.token) as api:
        whole = (await api.get(f"/v1/jobs/{job_id}/communications")).json()
        too_many = await api.get(f"/v1/jobs/{job_id}/communications", params={"limit": 201})
    assert ([c["id"] for c in whole["items"]], whole["next_cursor"]) == (sent, None)
    assert too_many.status_code == 422
    assert "limit" in too_many.json()["error"]["message"]


async def test_a_cursor_of_one_list_is_refused_by_another(db: asyncpg.Pool, tmp_path):
    seeded, job_id, _ = await _job_with_sends(db, tmp_path)
    async with client(api_app(db, tmp_path), seeded.token) as api:
        url = f"/v1/jobs/{job_id}/communications"
        cursor = (await api.get(url, params={"limit": 1})).json()["next_cursor"]
        other = await api.get(f"/v1/jobs/{job_id}/invoice/sends", params={"cursor": cursor})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "invalid_cursor"


async def test_another_tenants_job_is_404_and_an_empty_job_an_empty_page(
    db: asyncpg.Pool, tmp_path
):
    _, job_id, _ = await _job_with_sends(db, tmp_path)
    stranger = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    quiet = await stranger.job(NOW - timedelta(days=1))
    async with client(api_app(db, tmp_path), stranger.token) as api:
        theirs = await api.get(f"/v1/jobs/{job_id}/communications")
        mine = await api.get(f"/v1/jobs/{quiet.job_id}/invoice/sends")
    assert theirs.status_code == 404
    assert mine.json() == {"items": [], "next_cursor": None}

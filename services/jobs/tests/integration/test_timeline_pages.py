"""A job's timeline is bounded: pages of ``limit`` entries, oldest first, walked with
``next_cursor``; the pages put together are the whole timeline, each entry once."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


async def test_the_timeline_pages_through_every_entry_once_in_order(db: asyncpg.Pool, tmp_path):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await t.job(NOW - timedelta(days=1), steps=3)
    url = f"/v1/jobs/{job.job_id}/timeline"
    async with client(api_app(db, tmp_path), t.token) as api:
        whole = (await api.get(url, params={"limit": 1000})).json()
        pages, params = [], {"limit": 2}
        while True:
            page = (await api.get(url, params=params)).json()
            pages.append(page["items"])
            if page["next_cursor"] is None:
                break
            params = {"limit": 2, "cursor": page["next_cursor"]}
        too_many = await api.get(url, params={"limit": 1001})
    assert len(whole["items"]) >= 4
    assert whole["next_cursor"] is None
    assert all(len(p) <= 2 for p in pages)
    walked = [e for p in pages for e in p]
    assert [e["message_id"] for e in walked] == [e["message_id"] for e in whole["items"]]
    assert too_many.status_code == 422


async def test_another_tenants_job_has_no_timeline(db: asyncpg.Pool, tmp_path):
    owner = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    other = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await owner.job(NOW - timedelta(days=1))
    async with client(api_app(db, tmp_path), other.token) as api:
        answer = await api.get(f"/v1/jobs/{job.job_id}/timeline")
    assert answer.status_code == 404

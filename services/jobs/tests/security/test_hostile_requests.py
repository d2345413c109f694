"""Requests an attacker with a valid token could send, over HTTP on real PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: all@example.com", "Hi\nX-Spam: yes", "Hi\r"])
async def test_a_line_break_in_a_subject_is_refused_with_422_and_nothing_is_sent(
    db: asyncpg.Pool, tmp_path, subject: str
):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1), steps=3)
    (dana,) = await seeded.contacts(job, ("Dana", None, "dana@example.com"))
    outbox = "SELECT count(*) FROM jobs.outbox"
    before = await db.fetchval(outbox)
    async with client(api_app(db, tmp_path), seeded.token) as api:
        answer = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "email",
                "recipient_ids": [str(dana)],
                "subject": subject,
                "body": "x",
            },
        )
    assert answer.status_code == 422
    assert "subject: Value error, must be one line" in answer.json()["error"]["message"]
    assert await db.fetchval(outbox) == before

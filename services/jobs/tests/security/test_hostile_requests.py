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
    sends = await db.fetchval(
        """SELECT count(*) FROM jobs.outbox WHERE topic = 'comms.commands.v1'
            AND convert_from(value, 'UTF8')::jsonb -> 'payload' ->> 'job_id' = $1""",
        str(job.job_id),
    )
    assert sends == 0


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


async def test_an_upload_with_an_idempotency_key_is_stored_once_and_replayed(
    db: asyncpg.Pool, tmp_path
):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1), steps=3)
    url = f"/v1/jobs/{job.job_id}/documents"
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def upload(data: bytes) -> dict:
        return {
            "files": {"file": ("after.jpg", data, "image/jpeg")},
            "data": {"kind": "finished_photo"},
        }

    async with client(api_app(db, tmp_path / "blobs"), seeded.token) as api:
        first = await api.post(url, headers=key, **upload(JPEG))
        again = await api.post(url, headers=key, **upload(JPEG))
        other = await api.post(url, headers=key, **upload(JPEG + b"other"))
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    stored = await db.fetchval(
        "SELECT count(*) FROM jobs.documents WHERE tenant_id = $1", seeded.tenant_id
    )
    assert stored == 1

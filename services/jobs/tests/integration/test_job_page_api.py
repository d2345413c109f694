"""The reads the console's job page added to the API (issue 18), over HTTP on real
PostgreSQL: a job's recall links both ways with their chargeback, one of its documents,
and its timeline newest first — each tenant-scoped."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs.domain import commands
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def seeded(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def test_a_recall_link_shows_on_both_jobs_with_its_chargeback_then_its_reversal(
    db: asyncpg.Pool, tmp_path
):
    t, other = await seeded(db), await seeded(db)
    original = await t.job(NOW - timedelta(days=10), lines=(line("1", "400.00"),))
    await t.technician(original.technician_id, "0.10", {})
    await t.send(commands.StartJob(t.tenant_id, NOW, original.job_id))
    await t.send(commands.CompleteWork(t.tenant_id, NOW, original.job_id, NOW - timedelta(days=9)))
    recall = await t.job(NOW, lines=(line("1", "50.00"),))
    async with client(api_app(db, tmp_path), t.token) as api:
        linked = await api.post(
            f"/v1/jobs/{recall.job_id}/recall-link",
            json={"original_job_id": str(original.job_id), "reason": "the leak is back"},
        )
        from_recall = (await api.get(f"/v1/jobs/{recall.job_id}/recall-links")).json()
        from_original = (await api.get(f"/v1/jobs/{original.job_id}/recall-links")).json()
        await api.post(f"/v1/jobs/{recall.job_id}/recall-link/unlink", json={"reason": "new leak"})
        after = (await api.get(f"/v1/jobs/{original.job_id}/recall-links")).json()
    async with client(api_app(db, tmp_path), other.token) as api:
        foreign = await api.get(f"/v1/jobs/{recall.job_id}/recall-links")
    assert linked.status_code == 201, linked.text
    amount = linked.json()["chargeback"]["amount"]
    assert from_recall == from_original
    [link] = from_recall["items"]
    assert (link["recall_number"], link["original_number"]) == ("J-00002", "J-00001")
    assert link["reason"] == "the leak is back"
    assert link["unlinked_at"] is None
    assert link["chargeback"]["amount"] == amount
    assert link["chargeback"]["technician_id"] == str(original.technician_id)
    assert link["chargeback"]["reversed"] is False
    [removed] = after["items"]
    assert removed["unlink_reason"] == "new leak"
    assert removed["chargeback"]["reversed"] is True
    assert foreign.status_code == 404


async def test_a_document_is_served_to_its_tenant_only_and_unknown_types_are_downloads(
    db: asyncpg.Pool, tmp_path
):
    t, other = await seeded(db), await seeded(db)
    job, elsewhere = await t.job(NOW), await t.job(NOW)
    app = api_app(db, tmp_path)
    async with client(app, t.token) as api:
        uploaded = await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            data={"kind": "finished_photo"},
            files={"file": ("après.png", PNG, "image/png")},
        )
        url = f"/v1/jobs/{job.job_id}/documents/{uploaded.json()['id']}"
        photo = await api.get(url)
        not_this_jobs = await api.get(
            f"/v1/jobs/{elsewhere.job_id}/documents/{uploaded.json()['id']}"
        )
        await db.execute(
            "UPDATE jobs.documents SET content_type = 'text/html' WHERE document_id = $1",
            uuid.UUID(uploaded.json()["id"]),
        )
        html = await api.get(url)
    async with client(app, other.token) as api:
        foreign = await api.get(url)
    assert photo.status_code == 200
    assert photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["content-disposition"] == "inline; filename*=UTF-8''apr%C3%A8s.png"
    assert not_this_jobs.status_code == 404
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")
    assert foreign.status_code == 404


async def test_the_timeline_newest_first_pages_back_through_every_entry_once(
    db: asyncpg.Pool, tmp_path
):
    t, other = await seeded(db), await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=3)
    async with client(api_app(db, tmp_path), t.token) as api:
        oldest_first = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
        url = f"/v1/jobs/{job.job_id}/timeline/newest-first"
        pages, params = [], {"limit": 2}
        while True:
            page = (await api.get(url, params=params)).json()
            pages.append(page["items"])
            if page["next_cursor"] is None:
                break
            params = {"limit": 2, "cursor": page["next_cursor"]}
        alien_cursor = await api.get(
            url,
            params={
                "cursor": (
                    await api.get(f"/v1/jobs/{job.job_id}/timeline", params={"limit": 1})
                ).json()["next_cursor"]
            },
        )
    async with client(api_app(db, tmp_path), other.token) as api:
        foreign = await api.get(url)
    walked = [e["message_id"] for p in pages for e in p]
    assert len(oldest_first) >= 4
    assert all(len(p) <= 2 for p in pages)
    assert walked == [e["message_id"] for e in reversed(oldest_first)]
    assert alien_cursor.status_code == 422
    assert foreign.status_code == 404


async def test_the_issued_invoices_revisions_newest_first_none_before_it_is_issued(
    db: asyncpg.Pool, tmp_path
):
    t, other = await seeded(db), await seeded(db)
    issued, billing = await t.job(NOW, steps=4), await t.job(NOW, steps=3)
    async with client(api_app(db, tmp_path), t.token) as api:
        revisions = (await api.get(f"/v1/jobs/{issued.job_id}/invoice/revisions")).json()
        invoice = (await api.get(f"/v1/jobs/{issued.job_id}/invoice")).json()
        none_yet = (await api.get(f"/v1/jobs/{billing.job_id}/invoice/revisions")).json()
    async with client(api_app(db, tmp_path), other.token) as api:
        foreign = await api.get(f"/v1/jobs/{issued.job_id}/invoice/revisions")
    [first] = revisions["items"]
    assert first["revision"] == invoice["revision"] == 1
    assert first["invoice_number"] == invoice["invoice_number"]
    assert first["snapshot_sha256"] == invoice["snapshot_sha256"]
    assert first["total"] == invoice["snapshot"]["total"]
    assert none_yet == {"items": []}
    assert foreign.status_code == 404

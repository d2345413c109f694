"""Uploading photos and documents: limits, real content types, safe names, tenancy, and
the list of what an email may attach."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobs_testing.api import UPLOAD_LIMIT, TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"x" * 200
NOW = datetime.now(UTC)


@pytest.fixture
def blob_dir(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def app(db: asyncpg.Pool, blob_dir):
    return api_app(db, blob_dir)


async def seeded(db) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


def upload(name: str, data: bytes, kind: str, content_type: str = "image/jpeg") -> dict:
    return {"files": {"file": (name, data, content_type)}, "data": {"kind": kind}}


async def test_a_photo_is_stored_byte_for_byte_and_listed_for_emails(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=4)
    async with client(app, t.token) as api:
        photo = await api.post(
            f"/v1/jobs/{job.job_id}/documents", **upload("after.jpg", JPEG, "finished_photo")
        )
        plan = await api.post(
            f"/v1/properties/{job.property_id}/documents",
            **upload("plan.pdf", PDF, "document", "application/pdf"),
        )
        listed = (await api.get(f"/v1/jobs/{job.job_id}/attachments")).json()["items"]
        timeline = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    assert (photo.status_code, plan.status_code) == (201, 201)
    stored = list(blob_dir.rglob("*"))
    assert sorted(f.read_bytes() for f in stored if f.is_file()) == sorted([JPEG, PDF])
    assert [(a["kind"], a["source"]) for a in listed] == [
        ("finished_photo", "job"),
        ("document", "property"),
        ("invoice", "invoice"),
    ]
    assert timeline[-1]["type"] == "job.document_added"


async def test_the_file_type_comes_from_its_bytes_not_its_label(db, app):
    t = await seeded(db)
    job = await t.job(NOW)
    async with client(app, t.token) as api:
        fake = await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            **upload("x.jpg", b"#!/bin/sh\nrm -rf /\n", "progress_photo"),
        )
        pdf_as_photo = await api.post(
            f"/v1/jobs/{job.job_id}/documents", **upload("x.pdf", PDF, "progress_photo")
        )
    assert fake.status_code == 415
    assert "this file is none of those" in fake.json()["error"]["message"]
    assert pdf_as_photo.status_code == 415


async def test_oversized_and_empty_uploads_are_refused(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW)
    async with client(app, t.token) as api:
        big = await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            **upload("big.jpg", JPEG + b"\x00" * UPLOAD_LIMIT, "progress_photo"),
        )
        empty = await api.post(
            f"/v1/jobs/{job.job_id}/documents", **upload("e.jpg", b"", "progress_photo")
        )
    assert big.status_code == 413
    assert empty.status_code == 422
    assert not blob_dir.exists() or not any(p.is_file() for p in blob_dir.rglob("*"))


async def test_a_traversing_file_name_cannot_steer_where_bytes_land(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW)
    async with client(app, t.token) as api:
        answer = await api.post(
            f"/v1/jobs/{job.job_id}/documents",
            **upload("../../../etc/passwd.jpg", JPEG, "document"),
        )
    assert answer.status_code == 201
    assert answer.json()["filename"] == "passwd.jpg"
    (stored,) = [p for p in blob_dir.rglob("*") if p.is_file()]
    assert stored.resolve().is_relative_to(blob_dir.resolve())
    assert stored.name == answer.json()["id"]


async def test_uploads_to_another_tenants_job_or_property_are_404(db, app):
    mine, theirs = await seeded(db), await seeded(db)
    job = await theirs.job(NOW)
    async with client(app, mine.token) as api:
        to_job = await api.post(
            f"/v1/jobs/{job.job_id}/documents", **upload("a.jpg", JPEG, "document")
        )
        to_property = await api.post(
            f"/v1/properties/{job.property_id}/documents", **upload("a.jpg", JPEG, "document")
        )
        listing = await api.get(f"/v1/jobs/{job.job_id}/attachments")
    assert (to_job.status_code, to_property.status_code, listing.status_code) == (404, 404, 404)

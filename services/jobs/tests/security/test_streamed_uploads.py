"""Uploads from a caller with a valid token, against the real process: the file streams to
the blob store as it arrives, counted on the way, so an oversized one is refused with 413
without filling the temp directory or memory, and a refused, replayed or abandoned one
leaves nothing stored."""

import hashlib
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from jobline_jobs.config import Settings
from jobline_testing.accounts import make_user
from jobline_testing.hostile import post_huge
from jobline_testing.peaks import Peaks
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess
from jobs_testing.api import TenantSeeder

pytestmark = [pytest.mark.e2e]

LIMIT = Settings.model_fields["max_upload_bytes"].default  # the service runs on its default
MIB = 1024 * 1024
JPEG_HEAD = b"\xff\xd8\xff\xe0"
BOUNDARY = "jobline-test-boundary"


async def seeded(db: asyncpg.Pool) -> tuple[TenantSeeder, str]:
    """A tenant with an operator token and the documents URL of one of its jobs."""
    tenant = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await tenant.job(datetime.now(UTC) - timedelta(days=1), steps=3)
    return tenant, f"/v1/jobs/{job.job_id}/documents"


def photo(size: int) -> bytes:
    """A JPEG by its first bytes, random after them: any byte lost or moved shows."""
    return JPEG_HEAD + os.urandom(size - len(JPEG_HEAD))


def stored(blob_dir: Path, tenant: TenantSeeder) -> list[Path]:
    """Every object under the tenant's prefix, staged ones included."""
    return [p for p in (blob_dir / tenant.tenant_id).rglob("*") if p.is_file()]


def form_start(filename: str = "big.jpg") -> bytes:
    """A multipart body up to the file's first bytes: the kind, then the file's headers."""
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n'
        f"finished_photo\r\n--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + JPEG_HEAD


def headers(tenant: TenantSeeder) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tenant.token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }


async def test_a_200_mb_authenticated_upload_is_refused_with_413_as_it_streams(
    jobs_service: ServiceProcess, db: asyncpg.Pool, blob_dir: Path
):
    tenant, url = await seeded(db)
    # Chunked, so no declared length lets the body limit refuse it before a byte is read
    # (test_hostile_bodies covers that): the file is counted as it arrives.
    with Peaks(jobs_service) as peaks:
        status = await post_huge(
            jobs_service.url,
            url,
            200 * MIB,
            chunked=True,
            headers=headers(tenant),
            prefix=form_start(),
        )
    assert status == 413
    assert peaks.temp == 0, f"{peaks.temp} bytes spooled to the temp directory"
    assert peaks.rss <= 20 * MIB, f"RSS grew by {peaks.rss / MIB:.0f} MiB"
    assert stored(blob_dir, tenant) == []


async def test_a_file_of_exactly_the_limit_is_stored_whole_and_reads_back_identical(
    jobs_service: ServiceProcess, db: asyncpg.Pool, blob_dir: Path
):
    tenant, url = await seeded(db)
    data = photo(LIMIT)
    async with httpx.AsyncClient(base_url=jobs_service.url, timeout=60) as client:
        with Peaks(jobs_service) as peaks:
            answer = await client.post(
                url,
                headers={"Authorization": f"Bearer {tenant.token}"},
                data={"kind": "finished_photo"},
                files={"file": ("full.jpg", data, "image/jpeg")},
            )
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert (document["size_bytes"], document["sha256"]) == (
        LIMIT,
        hashlib.sha256(data).hexdigest(),
    )
    key = await db.fetchval(
        "SELECT blob_key FROM jobs.documents WHERE tenant_id = $1 AND document_id = $2",
        tenant.tenant_id,
        uuid.UUID(document["id"]),
    )
    assert (blob_dir / key).read_bytes() == data
    assert stored(blob_dir, tenant) == [blob_dir / key]  # the staged copy became it
    assert peaks.temp == 0, f"{peaks.temp} bytes spooled to the temp directory"


async def test_an_upload_with_an_idempotency_key_replays_and_a_different_file_conflicts(
    jobs_service: ServiceProcess, db: asyncpg.Pool, blob_dir: Path
):
    tenant, url = await seeded(db)
    data = photo(3 * MIB)
    key = {"Authorization": f"Bearer {tenant.token}", "Idempotency-Key": str(uuid.uuid4())}

    async def upload(content: bytes) -> httpx.Response:
        return await client.post(
            url,
            headers=key,
            data={"kind": "finished_photo"},
            files={"file": ("after.jpg", content, "image/jpeg")},
        )

    async with httpx.AsyncClient(base_url=jobs_service.url, timeout=60) as client:
        with Peaks(jobs_service) as peaks:
            first = await upload(data)
            again = await upload(data)
            other = await upload(data[:-1] + bytes([data[-1] ^ 1]))
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    documents = await db.fetchval(
        "SELECT count(*) FROM jobs.documents WHERE tenant_id = $1", tenant.tenant_id
    )
    assert documents == 1
    assert len(stored(blob_dir, tenant)) == 1  # the replayed and refused copies are gone
    assert peaks.temp == 0, f"{peaks.temp} bytes spooled to the temp directory"


async def test_a_client_that_goes_away_mid_upload_leaves_no_blob_behind(
    jobs_service: ServiceProcess, db: asyncpg.Pool, blob_dir: Path
):
    tenant, url = await seeded(db)
    start = form_start()
    head = "".join(
        [
            f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{jobs_service.port}\r\n",
            *(f"{name}: {value}\r\n" for name, value in headers(tenant).items()),
            f"Content-Length: {len(start) + 8 * MIB}\r\n\r\n",
        ]
    ).encode()

    async def staging() -> bool:
        return bool(stored(blob_dir, tenant))

    async def nothing_left() -> bool:
        return not stored(blob_dir, tenant)

    with Peaks(jobs_service) as peaks:
        with socket.create_connection(("127.0.0.1", jobs_service.port), timeout=30) as sock:
            sock.sendall(head + start + os.urandom(4 * MIB))
            await eventually(staging)  # the file is on its way to the blob store
        await eventually(nothing_left)
    documents = await db.fetchval(
        "SELECT count(*) FROM jobs.documents WHERE tenant_id = $1", tenant.tenant_id
    )
    assert documents == 0
    assert peaks.temp == 0, f"{peaks.temp} bytes spooled to the temp directory"


async def test_a_signed_in_console_upload_streams_on_too_and_200_mb_is_refused_unspooled(
    jobs_service: ServiceProcess, db: asyncpg.Pool, blob_dir: Path
):
    tenant, url = await seeded(db)
    operator = await make_user(db, tenant.tenant_id, "operator", "Olive Operator")
    async with httpx.AsyncClient(base_url=jobs_service.url, timeout=60) as browser:
        await browser.get("/login")
        csrf = browser.cookies["jobline_csrf"]
        signed_in = await browser.post(
            "/login",
            data={"email": operator.email, "password": operator.password, "csrf_token": csrf},
            headers={"Origin": jobs_service.url},
        )
        assert signed_in.status_code == 303, signed_in.text
        csrf = browser.cookies["jobline_csrf"]  # a fresh one per session
        cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    console_url = url.replace("/v1/jobs/", "/console/jobs/") + f"?csrf_token={csrf}"
    with Peaks(jobs_service) as peaks:
        status = await post_huge(
            jobs_service.url,
            console_url,
            200 * MIB,
            chunked=True,
            headers={
                "Cookie": cookies,
                "Origin": jobs_service.url,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
            prefix=form_start(),
        )
    assert status == 413
    assert peaks.temp == 0, f"{peaks.temp} bytes spooled to the temp directory"
    assert peaks.rss <= 20 * MIB, f"RSS grew by {peaks.rss / MIB:.0f} MiB"
    assert stored(blob_dir, tenant) == []

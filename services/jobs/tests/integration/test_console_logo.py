"""The console's logo form: the browser's upload goes on to the API, whose streamed upload
stores it under the tenant and whose refusals the page shows."""

import os
import uuid

import asyncpg
import httpx
import pytest

from jobline_jobs.adapters.tokens import issue_token
from jobs_testing.api import TenantSeeder, api_app

pytestmark = pytest.mark.integration

ORIGIN = {"Origin": "http://jobs.test"}
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(60_000)  # under the tests' 64 KiB upload limit


async def test_a_logo_uploaded_in_the_console_is_stored_and_a_text_file_is_refused(
    db: asyncpg.Pool, tmp_path
):
    seeder = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    admin = await issue_token(db, seeder.tenant_id, "admin")
    transport = httpx.ASGITransport(app=api_app(db, tmp_path / "blobs"))
    async with httpx.AsyncClient(transport=transport, base_url="http://jobs.test") as browser:
        await browser.get("/login")
        form = {"token": admin, "csrf_token": browser.cookies["jobline_csrf"]}
        await browser.post("/login", data=form, headers=ORIGIN)
        csrf = {"csrf_token": browser.cookies["jobline_csrf"]}  # a fresh one per session
        text = await browser.post(
            "/console/settings/logo",
            data=csrf,
            files={"logo": ("l.png", b"hello", "image/png")},
            headers=ORIGIN,
        )
        saved = await browser.post(
            "/console/settings/logo",
            data=csrf,
            files={"logo": ("l.png", PNG, "image/png")},
            headers=ORIGIN,
        )
    assert text.status_code == 415
    assert "a logo must be image/jpeg, image/png, image/webp" in text.text
    assert saved.status_code == 200, saved.text
    assert "Logo uploaded." in saved.text
    key = await db.fetchval(
        "SELECT logo_blob_key FROM jobs.tenants WHERE tenant_id = $1", seeder.tenant_id
    )
    assert key.startswith(f"{seeder.tenant_id}/tenant/logo/")
    assert (tmp_path / "blobs" / key).read_bytes() == PNG

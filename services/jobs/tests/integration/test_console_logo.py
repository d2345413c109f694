"""The console's logo form: the browser's upload goes on to the API, whose streamed upload
stores it under the tenant and whose refusals the page shows."""

import os
import uuid

import asyncpg
import httpx
import pytest

from jobline_testing.accounts import make_user
from jobs_testing.api import TenantSeeder, api_app
from jobs_testing.browser import Browser

pytestmark = pytest.mark.integration

ORIGIN = {"Origin": "http://jobs.test"}
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(60_000)  # under the tests' 64 KiB upload limit


async def test_a_logo_uploaded_in_the_console_is_stored_and_a_text_file_is_refused(
    db: asyncpg.Pool, tmp_path
):
    seeder = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    admin = await make_user(db, seeder.tenant_id, "admin", "Ada Admin")
    browser = Browser(api_app(db, tmp_path / "blobs"))
    async with browser.http:
        assert (await browser.sign_in(admin.email)).status_code == 303
        # The token rides in the URL: the console streams the body on to the API unread.
        csrf = {"csrf_token": browser.http.cookies["jobline_csrf"]}  # a fresh one per session

        async def upload(content: bytes) -> httpx.Response:
            return await browser.http.post(
                "/console/settings/logo",
                params=csrf,
                files={"file": ("l.png", content, "image/png")},
                headers=ORIGIN,
            )

        text, saved = await upload(b"hello"), await upload(PNG)
    assert text.status_code == 415
    assert "A logo must be image/jpeg, image/png, image/webp" in text.text
    assert saved.status_code == 200, saved.text
    assert "Logo uploaded." in saved.text
    key = await db.fetchval(
        "SELECT logo_blob_key FROM jobs.tenants WHERE tenant_id = $1", seeder.tenant_id
    )
    assert key.startswith(f"{seeder.tenant_id}/tenant/logo/")
    assert (tmp_path / "blobs" / key).read_bytes() == PNG

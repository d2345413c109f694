"""The job page's upload over HTTP on real PostgreSQL (no browser): the API's size and
type rules, refused in plain words with nothing stored, and a stored photo served back
through the console to its thumbnail."""

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from jobline_jobs.service_layer.queries import Role
from jobline_testing.accounts import make_user
from jobs_testing.api import UPLOAD_LIMIT, TenantSeeder, api_app, client
from jobs_testing.browser import Browser
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@asynccontextmanager
async def console(app: FastAPI, db: asyncpg.Pool, tenant_id: str, role: Role = "operator"):
    """A browser signed in as a new user of ``role``, sending this host's Origin."""
    user = await make_user(db, tenant_id, role, "Uma User")
    browser = Browser(app)
    async with browser.http:
        assert (await browser.sign_in(user.email)).status_code == 303
        browser.http.headers["Origin"] = "http://jobs.test"
        yield browser.http


def csrf(browser: httpx.AsyncClient) -> dict[str, str]:
    """An upload's CSRF token, in its URL: the console streams the body on unread."""
    return {"csrf_token": browser.cookies["jobline_csrf"]}


async def test_uploads_obey_the_apis_rules_and_a_photo_comes_back_as_its_thumbnail(
    db: asyncpg.Pool, tmp_path
):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await t.job(NOW)
    url = f"/console/jobs/{job.job_id}/documents"

    async def upload(kind: str, name: str, data: bytes) -> httpx.Response:
        return await browser.post(
            url, params=csrf(browser), data={"kind": kind}, files={"file": (name, data)}
        )

    async with console(api_app(db, tmp_path), db, t.tenant_id) as browser:
        pdf_as_photo = await upload("finished_photo", "plan.pdf", b"%PDF-1.4\n%%EOF")
        too_big = await upload("progress_photo", "big.png", PNG + bytes(UPLOAD_LIMIT))
        nothing = await browser.post(url, data={"kind": "document", **csrf(browser)})
        stored = await db.fetchval(
            "SELECT count(*) FROM jobs.documents WHERE job_id = $1", job.job_id
        )
        done = await upload("finished_photo", "after.png", PNG)
        page = await browser.get(done.headers["location"])
        [photo_id] = await db.fetch(
            "SELECT document_id FROM jobs.documents WHERE job_id = $1", job.job_id
        )
        thumbnail = await browser.get(f"{url}/{photo_id['document_id']}")
    assert pdf_as_photo.status_code == 415
    assert "A photo must be a JPEG, PNG or WebP image; a document may also be a PDF." in (
        pdf_as_photo.text
    )
    assert too_big.status_code == 413
    assert "The file is larger than 64.0 KiB; choose a smaller one." in too_big.text
    assert nothing.status_code == 422
    assert "Choose a photo or document to upload." in nothing.text
    assert stored == 0
    assert done.status_code == 303
    assert done.headers["location"] == f"/jobs/{job.job_id}?uploaded=after.png#documents"
    assert page.status_code == 200
    assert "Uploaded after.png." in page.text
    assert f'src="{url}/{photo_id["document_id"]}" alt="after.png"' in page.text
    assert thumbnail.status_code == 200
    assert thumbnail.content == PNG
    assert thumbnail.headers["content-type"] == "image/png"


async def test_a_parent_lists_its_subjobs_with_their_bill_dates_and_a_subjob_names_its_parent(
    db: asyncpg.Pool, tmp_path
):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    parent = await t.job(NOW - timedelta(hours=1), steps=3, lines=(line("1", "400.00"),))
    later = (NOW + timedelta(days=30)).date().isoformat()
    app = api_app(db, tmp_path)
    async with client(app, t.token) as api:
        created = await api.post(
            f"/v1/jobs/{parent.job_id}/subjobs",
            json={"title": "Deposit", "share": {"percent": "25"}, "bill_on": later},
        )
    assert created.status_code == 201, created.text
    [subjob] = created.json()["subjobs"]
    async with console(app, db, t.tenant_id) as browser:
        parents_page = await browser.get(f"/jobs/{parent.job_id}")
        subjobs_page = await browser.get(f"/jobs/{subjob['id']}")
        foreign = await browser.get(f"/jobs/{uuid.uuid4()}")
        forged = await browser.get(f"/jobs/{parent.job_id}?uploaded=invoice-paid.pdf")
    assert parents_page.status_code == 200
    assert f'<a href="/jobs/{subjob["id"]}">{subjob["number"]}</a>' in parents_page.text
    assert f"<td>{later}</td>" in parents_page.text
    assert subjobs_page.status_code == 200
    assert f'This is a subjob of <a href="/jobs/{parent.job_id}">J-00001</a>' in (subjobs_page.text)
    assert f"due to bill on {later}" in subjobs_page.text
    assert foreign.status_code == 404
    assert "Uploaded" not in forged.text


async def test_a_viewer_reads_the_page_without_the_upload_and_cannot_upload(
    db: asyncpg.Pool, tmp_path
):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await t.job(NOW)
    async with console(api_app(db, tmp_path), db, t.tenant_id, "viewer") as browser:
        page = await browser.get(f"/jobs/{job.job_id}")
        refused = await browser.post(
            f"/console/jobs/{job.job_id}/documents",
            params=csrf(browser),
            data={"kind": "document"},
            files={"file": ("a.png", PNG)},
        )
    assert page.status_code == 200
    assert "Photos and documents" in page.text
    assert 'id="upload-file"' not in page.text
    assert refused.status_code == 403
    assert "Your role can read jobs but not change them" in refused.text
    assert (
        await db.fetchval("SELECT count(*) FROM jobs.documents WHERE job_id = $1", job.job_id) == 0
    )

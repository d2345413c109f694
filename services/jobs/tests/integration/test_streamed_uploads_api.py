"""The streamed upload's refusals, in-process over real PostgreSQL: each names its rule
and leaves nothing in the blob store (the staged file is deleted)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from jobs_testing.api import UPLOAD_LIMIT, TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
BOUNDARY = "b0undary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def whole(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    label = f'; filename="{filename}"' if filename else ""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{label}\r\n\r\n'
    return head.encode() + data + b"\r\n"


CASES: dict[str, tuple[dict[str, Any], int, str]] = {
    "over the limit": (
        {"data": {"kind": "document"}, "files": {"file": ("a.jpg", JPEG + bytes(UPLOAD_LIMIT))}},
        413,
        f"over the {UPLOAD_LIMIT}-byte upload limit",
    ),
    "no kind": ({"files": {"file": ("a.jpg", JPEG)}}, 422, "kind: Field required"),
    "unknown kind": (
        {"data": {"kind": "selfie"}, "files": {"file": ("a.jpg", JPEG)}},
        422,
        "kind: Input should be 'progress_photo', 'finished_photo' or 'document'",
    ),
    "no file": ({"content": whole(part("kind", b"document"))}, 422, "file: Field required"),
    "file under another name": (
        {"data": {"kind": "document"}, "files": {"photo": ("a.jpg", JPEG)}},
        422,
        "file: send the file as this field",
    ),
    "two files": (
        {"content": whole(part("file", JPEG, "a.jpg"), part("file", JPEG, "b.jpg"))},
        422,
        "send one file per upload",
    ),
    "no closing boundary": (
        {"content": part("kind", b"document") + part("file", JPEG, "a.jpg")},
        400,
        "no closing boundary",
    ),
    "not multipart": ({"json": {"kind": "document"}}, 422, "multipart/form-data"),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_broken_upload_is_refused_naming_its_rule_and_nothing_is_stored(
    db: asyncpg.Pool, tmp_path, case: str
):
    body, status, message = CASES[case]
    if "content" in body:
        body = {**body, "headers": {"Content-Type": FORM}}
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(datetime.now(UTC))
    async with client(api_app(db, tmp_path / "blobs"), seeded.token) as api:
        answer = await api.post(f"/v1/jobs/{job.job_id}/documents", **body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]["message"]
    assert not any(p.is_file() for p in (tmp_path / "blobs").rglob("*"))

"""Security of the jobs HTTP API over real PostgreSQL: tenant isolation on every route of the
OpenAPI document, authentication on every route, and SQL that only ever sees parameters.

Routes are read from ``app.openapi()`` so a new route is covered (or fails here, asking for a
request body) without editing this file. Path traversal in upload names is already shown by
test_documents_api.py.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest

from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain.templates import SaveTemplate
from jobline_testing.accounts import make_user
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 100
OPEN_ROUTES = {"/healthz", "/readyz"}  # probes answer anyone; /openapi.json is not in paths


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path)


async def tenant(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def tenant_a(db: asyncpg.Pool, app) -> tuple[TenantSeeder, dict[str, Any]]:
    """Tenant A with an invoiced job, a technician, a contact and a text sent: every kind of
    id a path can hold."""
    a = await tenant(db)
    job = await a.job(NOW - timedelta(days=1), steps=4)
    other = await a.job(NOW - timedelta(days=2), steps=2)
    await a.technician(job.technician_id, "0.10", {"SVC": "100.00"})
    (dana,) = await a.contacts(job, ("Dana", "+15555550101", "dana@example.com"))
    async with client(app, a.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana)], "body": "On our way"},
        )
        photo = await api.post(  # issue 18: the job page's document route
            f"/v1/jobs/{job.job_id}/documents",
            data={"kind": "finished_photo"},
            files={"file": ("a.jpg", JPEG, "image/jpeg")},
        )
    assert sent.status_code == 202, sent.text
    assert photo.status_code == 201, photo.text
    template = SaveTemplate(  # issue 18: the templates' routes
        a.tenant_id, NOW, uuid.uuid4(), "Hello", "sms", None, "Hi {customer_first_name}", "test"
    )
    await a.send(template)
    ids = {
        "job_id": str(job.job_id),
        "property_id": str(job.property_id),
        "technician_id": str(job.technician_id),
        "communication_id": sent.json()["communication_id"],
        "other_job_id": str(other.job_id),
        "contact_id": str(dana),
        "document_id": photo.json()["id"],
        "template_id": str(template.template_id),
        # issue 18: an admin's role change
        "user_id": str((await make_user(db, a.tenant_id, "operator", "Olive Operator")).user_id),
    }
    return a, ids


def bodies(ids: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A valid request for each route that takes a body, so only ownership can refuse it."""
    upload = {"data": {"kind": "document"}, "files": {"file": ("a.jpg", JPEG, "image/jpeg")}}
    return {
        "/v1/jobs/{job_id}/defer": {"json": {"reason": "customer dispute"}},
        "/v1/jobs/{job_id}/subjobs": {
            "json": {"title": "Phase 2", "share": {"percent": "10"}, "bill_on": "2030-01-01"}
        },
        "/v1/jobs/{job_id}/recall-link": {
            "json": {"original_job_id": ids["other_job_id"], "reason": "came back"}
        },
        "/v1/jobs/{job_id}/recall-link/preview": {"json": {"original_job_id": ids["other_job_id"]}},
        "/v1/jobs/{job_id}/documents": upload,
        "/v1/properties/{property_id}/documents": upload,
        "/v1/jobs/{job_id}/communications": {
            "json": {"channel": "sms", "recipient_ids": [ids["contact_id"]], "body": "Hi"}
        },
        "/v1/jobs/{job_id}/invoice/sends": {"json": {"recipient_ids": [ids["contact_id"]]}},
        "/v1/jobs/{job_id}/invoice": {"json": {}},
        "/v1/jobs/{job_id}/recall-link/unlink": {"json": {"reason": "not the same fault"}},
        "/v1/tenant/templates/{template_id}": {
            "json": {"name": "Mine now", "channel": "sms", "body": "Hi"}
        },
        "/v1/users/{user_id}": {"json": {"role": "operator"}},  # issue 18
        "/v1/account/password": {
            "json": {"current_password": "old one", "new_password": "a new passphrase"}
        },
    }


def routes(app) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
        if path not in OPEN_ROUTES
    ]
    assert len(found) >= 20, found
    return found


def request(
    method: str, path: str, operation: dict[str, Any], ids: dict[str, Any]
) -> dict[str, Any]:
    """Keyword arguments for httpx: the path filled with ``ids``, required query parameters
    and, when the route takes one, a valid body."""
    params = {
        p["name"]: NOW.isoformat() if p["name"] == "to" else (NOW - timedelta(days=30)).isoformat()
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    kwargs: dict[str, Any] = {"method": method, "url": path.format(**ids), "params": params}
    if "requestBody" in operation:
        known = bodies(ids)
        assert path in known, f"give {method} {path} a valid body in bodies()"
        kwargs |= known[path]
    return kwargs


async def test_every_route_answers_404_to_another_tenants_ids(db, app):
    a, ids = await tenant_a(db, app)
    b = await tenant(db)
    await b.job(NOW - timedelta(days=1), steps=4)  # B has data of its own, just not A's
    # Admins, so that no role check answers before the tenant check (admin-only routes).
    b_admin = await issue_token(db, b.tenant_id, "admin")
    a_admin = await issue_token(db, a.tenant_id, "admin")
    async with client(app, b_admin) as as_b, client(app, a_admin) as as_a:
        for method, path, operation in routes(app):
            if "{" not in path:
                continue
            answer = await as_b.request(**request(method, path, operation, ids))
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "not_found", (method, path, answer.text)
        # The same requests with A's token find the ids: the 404s above are isolation.
        for method, path, operation in routes(app):
            if "{" in path:
                answer = await as_a.request(**request(method, path, operation, ids))
                assert answer.status_code not in {401, 403, 404, 422}, (method, path, answer.text)
                assert answer.status_code < 500 or answer.status_code == 503, answer.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Token jl_abc",
        "Bearer jl_" + "0" * 40,
        "Bearer not-a-token",
        "Bearer ' OR '1'='1",
    ],
)
async def test_every_route_refuses_a_missing_or_bad_token_with_401(db, app, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    names = (
        "job_id",
        "property_id",
        "technician_id",
        "communication_id",
        "document_id",
        "template_id",
        "user_id",
    )
    ids = {name: str(uuid.uuid4()) for name in names}
    async with client(app, None) as api:
        for method, path, _ in routes(app):
            answer = await api.request(
                method, path.format(**ids), headers=headers
            )  # no body: authentication comes before validation
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            body = answer.json()
            assert set(body) == {"error"}, body
            assert set(body["error"]) == {"code", "message", "details"}, body
            assert body["error"]["code"] == "unauthenticated", body
        for path in OPEN_ROUTES | {"/openapi.json"}:
            assert (await api.get(path, headers=headers)).status_code == 200, path


INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE jobs.jobs; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "') UNION SELECT tenant_id, NULL FROM jobs.jobs --",
    "%",
    "_",
    "\\",
    "' || (SELECT token FROM jobs.api_tokens LIMIT 1) || '",
]  # NUL has its own test below


async def list_ids(api: httpx.AsyncClient, **params: str) -> list[str]:
    answer = await api.get("/v1/jobs", params={"limit": "200", **params})
    assert answer.status_code == 200, (params, answer.text)
    return [row["id"] for row in answer.json()["items"]]


async def test_injection_strings_in_the_search_are_data(db, app):
    a, _ = await tenant_a(db, app)
    b = await tenant(db)
    mine = await b.job(NOW - timedelta(days=1))
    async with client(app, b.token) as api:
        assert await list_ids(api) == [str(mine.job_id)]
        for text in INJECTIONS:
            assert await list_ids(api, q=text) == [], text
        # A job whose text holds the string is found by it, literally and only it.
        assert await list_ids(api, q=mine.job_number) == [str(mine.job_id)]
    assert await db.fetchval("SELECT count(*) FROM jobs.jobs WHERE tenant_id = $1", a.tenant_id)


@pytest.mark.parametrize("text", INJECTIONS)
async def test_injection_strings_in_ids_and_filters_are_refused_as_invalid(db, app, text):
    b = await tenant(db)
    await b.job(NOW - timedelta(days=1))
    async with client(app, b.token) as api:
        for name in ("customer_id", "property_id", "technician_id", "cursor", "view"):
            answer = await api.get("/v1/jobs", params={name: text})
            assert answer.status_code == 422, (name, answer.text)
        for path in ("/v1/jobs/{}", "/v1/jobs/{}/timeline", "/v1/communications/{}"):
            answer = await api.get(path.format(quote(text, safe="")))
            assert answer.status_code in {404, 422}, (path, answer.text)
        answer = await api.post(f"/v1/jobs/{uuid.uuid4()}/defer", json={"reason": text})
        assert answer.status_code in {404, 422}, answer.text


async def test_a_nul_character_in_free_text_is_refused_as_invalid_not_a_crash(db, app):
    """PostgreSQL text cannot hold NUL: the API must say 422, not fail in the driver."""
    a, ids = await tenant_a(db, app)
    job, contact = ids["job_id"], [ids["contact_id"]]
    sends = [
        ("GET", "/v1/jobs", {"params": {"q": "a\x00b"}}),
        ("POST", f"/v1/jobs/{job}/defer", {"json": {"reason": "a\x00b"}}),
        (
            "POST",
            f"/v1/jobs/{job}/recall-link",
            {"json": {"original_job_id": ids["other_job_id"], "reason": "\x00"}},
        ),
        (
            "POST",
            f"/v1/jobs/{ids['other_job_id']}/subjobs",
            {"json": {"title": "\x00", "share": {"percent": "10"}, "bill_on": "2030-01-01"}},
        ),
        (
            "POST",
            f"/v1/jobs/{job}/communications",
            {"json": {"channel": "sms", "recipient_ids": contact, "body": "\x00"}},
        ),
        (
            "POST",
            f"/v1/jobs/{job}/communications",
            {
                "json": {
                    "channel": "email",
                    "recipient_ids": contact,
                    "body": "b",
                    "subject": "\x00",
                }
            },
        ),
        (
            "POST",
            f"/v1/jobs/{job}/invoice/sends",
            {"json": {"recipient_ids": contact, "message": "\x00"}},
        ),
    ]
    async with client(app, a.token) as api:
        for method, url, kwargs in sends:
            answer = await api.request(method, url, **kwargs)
            assert answer.status_code == 422, (method, url, kwargs, answer.text)
            assert answer.json()["error"]["code"] == "invalid_request", answer.text

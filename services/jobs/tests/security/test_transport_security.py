"""Behind the TLS ingress: the app as served (``create_app`` inside uvicorn's proxy-headers
middleware with the service's FORWARDED_ALLOW_IPS) answers https requests with HSTS and
sets the console cookie Secure; headers from anyone but the trusted proxy change nothing;
sign-in limits count the client's address, not the proxy's."""

import uuid

import asyncpg
import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from jobline_jobs.bootstrap import create_app
from jobline_jobs.config import Settings
from jobline_testing.accounts import PASSWORD, accounts, make_user
from jobs_testing.api import TenantSeeder, api_app

pytestmark = pytest.mark.integration
INGRESS, STRANGER = "10.20.30.40", "198.51.100.7"
YEAR = 365 * 24 * 3600


def _served(db: asyncpg.Pool, tmp_path, address_attempts: int = 20) -> ProxyHeadersMiddleware:
    settings = Settings(JOBLINE_ENV="development", forwarded_allow_ips="10.0.0.0/8")
    app = create_app(settings)  # its lifespan never runs here: the runtime is the tests'
    users = accounts(db, address_attempts=address_attempts)
    app.state.runtime = api_app(db, tmp_path, users).state.runtime
    return ProxyHeadersMiddleware(app, trusted_hosts=settings.forwarded_allow_ips)


def _from(app, peer: str, client_address: str = "203.0.113.5") -> httpx.AsyncClient:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": client_address}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 40000)),
        base_url="http://jobs.test",
        headers=forwarded,
    )


def _cookie(answer: httpx.Response, name: str) -> str:
    (found,) = (c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{name}="))
    return found


async def _sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await http.get("/login")
    csrf = _cookie(page, "jobline_csrf").split(";")[0].split("=", 1)[1]
    return await http.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf},
        # By hand: httpx keeps a Secure cookie from an http:// base URL.
        headers={"Origin": "https://jobs.test", "Cookie": f"jobline_csrf={csrf}"},
    )


async def test_https_through_the_ingress_gets_hsts_and_a_secure_expiring_cookie(
    db: asyncpg.Pool, tmp_path
):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    olive = await make_user(db, seeded.tenant_id)
    async with _from(_served(db, tmp_path), INGRESS) as http:
        health = await http.get("/healthz")
        signed_in = await _sign_in(http, olive.email)
    assert health.headers["strict-transport-security"] == f"max-age={YEAR}"
    assert signed_in.status_code == 303, signed_in.text
    session = _cookie(signed_in, "jobline_session").lower()
    assert {"secure", "httponly", "samesite=lax", "max-age=43200"} <= {
        part.strip() for part in session.split(";")
    }


async def test_forwarded_headers_from_anyone_else_change_nothing(db: asyncpg.Pool, tmp_path):
    async with _from(_served(db, tmp_path), STRANGER) as http:
        health = await http.get("/healthz")
        page = await http.get("/login")
    assert "strict-transport-security" not in health.headers
    assert "secure" not in _cookie(page, "jobline_csrf").lower()


async def test_sign_in_limits_count_each_client_behind_the_ingress(db: asyncpg.Pool, tmp_path):
    app = _served(db, tmp_path, address_attempts=2)
    client, neighbour = f"203.0.113.{uuid.uuid4().int % 200}", "198.51.100.77"
    async with _from(app, INGRESS, client) as one, _from(app, INGRESS, neighbour) as two:
        first = await _sign_in(one, "guess-1@example.com", "a wrong password!!")
        again = await _sign_in(one, "guess-2@example.com", "a wrong password!!")
        other = await _sign_in(two, "guess-3@example.com", "a wrong password!!")
    assert (first.status_code, again.status_code, other.status_code) == (401, 429, 401)

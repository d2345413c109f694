"""Rate limits: a token that floods the API is told to wait (429, Retry-After, the house
error body) while other tokens go on; a client trying tokens at the sign-in page is
stopped, per address and per tried token, and a correct token still signs in."""

import uuid

import asyncpg
import httpx
import pytest

from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.entrypoints.api import rate_limits
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration


async def _tenant(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def test_a_token_over_its_limit_gets_429_with_retry_after_and_others_go_on(
    db: asyncpg.Pool, tmp_path
):
    seeded = await _tenant(db)
    other = await issue_token(db, seeded.tenant_id, "viewer")
    app = api_app(db, tmp_path)
    rate_limits.install(app, rate_limits.RateLimits(api="3/minute"))
    async with client(app, seeded.token) as flood, client(app, other) as calm:
        answers = [(await flood.get("/v1/jobs")).status_code for _ in range(3)]
        refused = await flood.get("/v1/jobs")
        others = await calm.get("/v1/jobs")
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "at most 3 per 1 minute" in error["message"]
    assert error["details"] == {"retry_after_seconds": int(refused.headers["Retry-After"])}
    assert others.status_code == 200


async def test_an_unknown_token_is_401_and_not_counted_against_anyone(db: asyncpg.Pool, tmp_path):
    seeded = await _tenant(db)
    app = api_app(db, tmp_path)
    rate_limits.install(app, rate_limits.RateLimits(api="1/minute"))
    async with client(app, "jl_" + "x" * 43) as stranger, client(app, seeded.token) as api:
        strangers = {(await stranger.get("/v1/jobs")).status_code for _ in range(3)}
        mine = await api.get("/v1/jobs")
    assert strangers == {401}
    assert mine.status_code == 200


class _Browser:
    """The sign-in form as a browser posts it: CSRF cookie, hidden field, same Origin."""

    def __init__(self, app, address: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://jobs.test")

    async def sign_in(self, token: str) -> httpx.Response:
        await self.http.get("/login")
        form = {"token": token, "csrf_token": self.http.cookies["jobline_csrf"]}
        return await self.http.post("/login", data=form, headers={"Origin": "http://jobs.test"})


async def test_failed_sign_ins_from_one_address_are_stopped_with_429(db: asyncpg.Pool, tmp_path):
    seeded = await _tenant(db)
    app = api_app(db, tmp_path)
    rate_limits.install(app, rate_limits.RateLimits(sign_in_address="3/minute"))
    attacker, colleague = _Browser(app, "203.0.113.7"), _Browser(app, "198.51.100.2")
    async with attacker.http, colleague.http:
        tries = [(await attacker.sign_in(f"jl_guess{n}")).status_code for n in range(3)]
        stopped = await attacker.sign_in("jl_guess3")
        stopped_even_right = await attacker.sign_in(seeded.token)
        elsewhere = await colleague.sign_in(seeded.token)
    assert tries == [401, 401, 401]
    assert stopped.status_code == 429
    assert 1 <= int(stopped.headers["Retry-After"]) <= 60
    assert "too many failed sign-ins" in stopped.text
    # The limit is checked before the token: a guess that happens to be right waits too.
    assert stopped_even_right.status_code == 429
    assert elsewhere.status_code == 303  # another address signs in as usual
    assert "jobline_session" in colleague.http.cookies


async def test_one_tried_token_is_stopped_across_addresses(db: asyncpg.Pool, tmp_path):
    app = api_app(db, tmp_path)
    rate_limits.install(app, rate_limits.RateLimits(sign_in_identity="2/minute"))
    browsers = [_Browser(app, f"192.0.2.{n}") for n in range(1, 5)]
    answers = []
    for browser in browsers:
        async with browser.http:
            answers.append((await browser.sign_in("jl_the-same-guess")).status_code)
    assert answers == [401, 401, 429, 429]


async def test_successful_sign_ins_are_not_counted(db: asyncpg.Pool, tmp_path):
    seeded = await _tenant(db)
    app = api_app(db, tmp_path)
    rate_limits.install(app, rate_limits.RateLimits(sign_in_address="2/minute"))
    operator = _Browser(app, "198.51.100.9")
    async with operator.http:
        answers = [(await operator.sign_in(seeded.token)).status_code for _ in range(5)]
    assert answers == [303] * 5

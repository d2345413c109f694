"""Rate limits: a token that floods the API is told to wait (429, Retry-After, the house
error body) while other tokens go on. (Failed console sign-ins lock out instead:
test_sign_in_lockout.py.)"""

import uuid

import asyncpg
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

"""Lockout after failed sign-ins, counted in PostgreSQL: per account (whatever the
address) and per address (whatever the account), with a message that says when to try
again; it holds in every API process, a right password waits too, and it lifts in time."""

import uuid
from datetime import timedelta

import asyncpg
import pytest

from jobline_testing.accounts import accounts, make_user
from jobs_testing.api import TenantSeeder, api_app
from jobs_testing.browser import Browser, Clock

pytestmark = pytest.mark.integration


async def _tenant(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def test_an_account_locks_after_failures_from_any_address_in_every_process(
    db: asyncpg.Pool, tmp_path
):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    colleague = await make_user(db, seeded.tenant_id, name="Cole Colleague")
    clock = Clock()
    one = api_app(db, tmp_path, accounts(db, clock=clock, attempts=3))
    two = api_app(db, tmp_path, accounts(db, clock=clock, attempts=3))  # another replica
    guesses = [Browser(one, f"203.0.113.{n}") for n in range(3)]
    later, elsewhere, other = Browser(two, "198.51.100.4"), Browser(two), Browser(one)
    async with later.http, elsewhere.http, other.http:
        tries = []
        for browser in guesses:
            async with browser.http:
                tries.append(await browser.sign_in(olive.email, "a wrong password!!"))
        right_but_locked = await elsewhere.sign_in(olive.email)
        unrelated = await other.sign_in(colleague.email)
        clock.now += timedelta(minutes=15, seconds=1)
        after = await later.sign_in(olive.email)
    assert [t.status_code for t in tries] == [401, 401, 429]
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in tries[2].text
    assert right_but_locked.status_code == 429
    assert 0 < int(right_but_locked.headers["Retry-After"]) <= 15 * 60
    assert unrelated.status_code == 303
    assert after.status_code == 303  # the window passed: unlocked


async def test_an_address_locks_after_failures_on_any_accounts(db: asyncpg.Pool, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    app = api_app(db, tmp_path, accounts(db, address_attempts=3))
    attacker, office = Browser(app, "203.0.113.99"), Browser(app, "198.51.100.50")
    async with attacker.http, office.http:
        tries = [
            (await attacker.sign_in(f"guess{n}@example.com", "password123456")).status_code
            for n in range(3)
        ]
        right = await attacker.sign_in(olive.email)
        usual = await office.sign_in(olive.email)
    assert tries == [401, 401, 429]
    assert right.status_code == 429
    assert "Too many failed sign-ins for your address" in right.text
    assert usual.status_code == 303


async def test_a_success_clears_the_accounts_count(db: asyncpg.Pool, tmp_path):
    seeded = await _tenant(db)
    olive = await make_user(db, seeded.tenant_id)
    app = api_app(db, tmp_path, accounts(db, attempts=2))
    browser = Browser(app)
    async with browser.http:
        first = await browser.sign_in(olive.email, "a wrong password!!")
        assert (await browser.sign_in(olive.email)).status_code == 303
        again = await browser.sign_in(olive.email, "a wrong password!!")
    assert (first.status_code, again.status_code) == (401, 401)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM jobs.sign_in_failures WHERE scope = 'account' AND key = $1",
            olive.email,
        )
        == 1
    )


async def test_wrong_codes_count_against_the_account_like_wrong_passwords(
    db: asyncpg.Pool, tmp_path
):
    seeded = await _tenant(db)
    tess = await make_user(db, seeded.tenant_id, name="Tess Twofactor", totp=True)
    app = api_app(db, tmp_path, accounts(db, attempts=3))
    browser = Browser(app, "203.0.113.150")
    async with browser.http:
        wrong_password = await browser.sign_in(tess.email, "a wrong password!!")
        await browser.sign_in(tess.email)
        wrong_code = await browser.post("/login/code", code="000000")
        locked = await browser.post("/login/code", code="000001")
        right_code = await browser.post("/login/code", code=tess.code())
        password_again = await browser.sign_in(tess.email)
    assert (wrong_password.status_code, wrong_code.status_code) == (401, 401)
    assert locked.status_code == right_code.status_code == password_again.status_code == 429
    assert "Too many failed sign-ins for this account" in password_again.text

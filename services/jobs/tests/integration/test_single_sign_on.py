"""Single sign-on through the console as a browser follows it (ASGI, real PostgreSQL, the
local OpenID Connect issuer on a port): the issuer vouches for an email, the tenant's user
with it gets the same session a password opens; a code used in another browser, a second
time, or for an email the business has no account for opens nothing."""

import html
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest

from jobline_jobs.service_layer.sign_on_ports import SignOnChange
from jobline_sandboxes.oidc_issuer import OidcIssuer
from jobline_testing.accounts import make_user
from jobline_testing.sandboxes import running_oidc_issuer
from jobs_testing.api import TenantSeeder, api_app, sign_on_store
from jobs_testing.browser import Browser

pytestmark = pytest.mark.integration
CLIENT = ("jobline-console", "a client secret only the two know")


@pytest.fixture
async def issuer():
    async with running_oidc_issuer({CLIENT[0]: CLIENT[1]}) as found:
        yield found


async def _tenant(db: asyncpg.Pool, issuer: OidcIssuer, new_user_role=None) -> str:
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    change = SignOnChange(seeded.tenant_id, issuer.issuer, *CLIENT, new_user_role, "test")
    await sign_on_store(db).configure(change)
    return seeded.tenant_id


async def to_issuer(browser: Browser, tenant: str) -> dict[str, str]:
    """Start single sign-on; the authorization request's parameters."""
    begun = await browser.http.get("/login/sso", params={"business": tenant})
    assert begun.status_code == 200, begun.text
    found = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', begun.text)
    assert found is not None
    query = parse_qs(urlsplit(html.unescape(found[1])).query)
    return {k: v[0] for k, v in query.items()}


async def approve(issuer: OidcIssuer, asked: dict[str, str], email: str) -> str:
    """What the person does at the issuer; the URL it sends the browser back to."""
    form = {k: asked[k] for k in ("client_id", "redirect_uri", "state", "nonce", "code_challenge")}
    async with httpx.AsyncClient() as person:
        approved = await person.post(
            f"{issuer.issuer}/authorize", data={**form, "email": email, "name": "Ann Sso"}
        )
    assert approved.status_code == 303, approved.text
    return approved.headers["location"]


async def test_the_issuer_vouches_and_the_tenants_user_is_signed_in(db, tmp_path, issuer):
    tenant = await _tenant(db, issuer)
    olive = await make_user(db, tenant, name="Olive Operator")
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        asked = await to_issuer(browser, tenant)
        back = await approve(issuer, asked, olive.email.upper())
        done = await browser.http.get(back)
        signed_in = await browser.signed_in()
        again = await browser.http.get(back)  # the same code and state a second time
    assert asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256"
    assert set(asked["scope"].split()) == {"openid", "email", "profile"}
    assert asked["redirect_uri"] == "http://jobs.test/login/sso/callback"
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"
    assert signed_in
    assert issuer.issued[-1]["nonce"] == asked["nonce"]
    assert again.status_code == 401
    assert "This sign-in has expired or began in another browser" in again.text


async def test_a_code_brought_to_another_browser_opens_nothing(db, tmp_path, issuer):
    tenant = await _tenant(db, issuer)
    olive = await make_user(db, tenant)
    app = api_app(db, tmp_path)
    victim, attacker = Browser(app), Browser(app)
    async with victim.http, attacker.http:
        asked = await to_issuer(attacker, tenant)
        back = await approve(issuer, asked, olive.email)
        planted = await victim.http.get(back)  # a login CSRF: the attacker's code
        assert not await victim.signed_in()
    assert planted.status_code == 401
    assert "began in another browser" in planted.text


async def test_an_email_the_business_has_no_account_for_is_refused_unless_configured(
    db, tmp_path, issuer
):
    closed = await _tenant(db, issuer)
    other = await _tenant(db, issuer)
    outsider = await make_user(db, other, name="Otto Other")  # an account, of another tenant
    opened = await _tenant(db, issuer, new_user_role="viewer")
    app = api_app(db, tmp_path)
    first, second, third = Browser(app), Browser(app), Browser(app)
    async with first.http, second.http, third.http:
        stranger = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
        refused = await first.http.get(
            await approve(issuer, await to_issuer(first, closed), stranger)
        )
        crossed = await second.http.get(
            await approve(issuer, await to_issuer(second, closed), outsider.email)
        )
        made = await third.http.get(await approve(issuer, await to_issuer(third, opened), stranger))
        assert await third.signed_in()
    assert refused.status_code == crossed.status_code == 401
    assert re.search(
        r"No account of this business has the email nobody-\w+@example.com", refused.text
    )
    assert "No account of this business has the email" in crossed.text
    assert made.status_code == 303
    row = await db.fetchrow(
        "SELECT tenant_id, role, display_name FROM jobs.users WHERE email = $1", stranger
    )
    assert tuple(row) == (opened, "viewer", "Ann Sso")


async def test_a_business_without_single_sign_on_says_so(db, tmp_path):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    browser = Browser(api_app(db, tmp_path))
    async with browser.http:
        answer = await browser.http.get("/login/sso", params={"business": seeded.tenant_id})
        blank = await browser.http.get("/login/sso", params={"business": " "})
    assert answer.status_code == 401
    assert "That business does not use single sign-on" in answer.text
    assert "Enter your business&#39;s ID to use single sign-on." in blank.text

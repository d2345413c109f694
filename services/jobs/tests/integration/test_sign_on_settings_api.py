"""An admin sets the business's single sign-on through ``/v1/tenant/sso`` (ASGI, real
PostgreSQL, the local OpenID Connect issuer on a port): refusals for other roles and bad
input change nothing; the client secret is stored sealed, never answered, kept when left
blank; sign-in works through it; the issuer's JWKS is read once, and again only for a
rotated key or once ten minutes pass; a secret stored in plain text before 0029 still
works and gets sealed; ``jobline-jobs sso`` is the same service."""

import argparse
import uuid

import asyncpg
import pytest
from integration.test_single_sign_on import approve, to_issuer
from joserfc import jwt

from jobline_jobs import sso_cli
from jobline_jobs.adapters.issuer_cache import IssuerCache
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.config import Settings
from jobline_sandboxes.oidc_issuer import OidcIssuer
from jobline_testing.accounts import make_user
from jobline_testing.sandboxes import running_oidc_issuer
from jobline_testing.services import free_port
from jobs_testing.api import TenantSeeder, api_app, client, sign_on_store
from jobs_testing.browser import Browser

pytestmark = pytest.mark.integration
CLIENT = ("jobline-console", "a client secret only the two know")


@pytest.fixture
async def issuer():
    async with running_oidc_issuer({CLIENT[0]: CLIENT[1]}) as found:
        yield found


async def _tenant(db: asyncpg.Pool) -> tuple[str, dict[str, str]]:
    """A fresh tenant and a token of each role."""
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    async with db.acquire() as conn:
        tokens = {r: await issue_token(conn, seeded.tenant_id, r) for r in ("viewer", "admin")}
    return seeded.tenant_id, {**tokens, "operator": seeded.token}


def _setting(issuer: str, secret: str | None = CLIENT[1]) -> dict[str, str | None]:
    return {"issuer": issuer, "client_id": CLIENT[0], "client_secret": secret}


async def _signs_in(browser: Browser, issuer: OidcIssuer, tenant: str, email: str) -> bool:
    back = await approve(issuer, await to_issuer(browser, tenant), email)
    done = await browser.http.get(back)
    return done.status_code == 303 and await browser.signed_in()


async def test_only_an_admin_reads_or_changes_it(db, tmp_path, issuer):
    _, token = await _tenant(db)
    app = api_app(db, tmp_path)
    async with client(app, token["viewer"]) as viewer, client(app, token["operator"]) as op:
        read = await viewer.get("/v1/tenant/sso")
        put = await op.put("/v1/tenant/sso", json=_setting(issuer.issuer))
        gone = await op.delete("/v1/tenant/sso")
    assert [read.status_code, put.status_code, gone.status_code] == [403, 403, 403]


@pytest.mark.parametrize(
    ("issuer_url", "code", "words"),
    [
        ("ftp://id.example.com", "invalid_issuer", "The issuer URL must start with https://"),
        ("http://id.example.com", "invalid_issuer", "The issuer URL must start with https://"),
        ("https://id.example.com/?tenant=1", "invalid_issuer", "have no ? or # part"),
        ("unreachable", "issuer_unreachable", "Jobline could not reach http://127.0.0.1:"),
        ("not an issuer", "not_an_issuer", "answered, but not as an OpenID Connect issuer"),
        ("another issuer", "not_an_issuer", "answered, but not as an OpenID Connect issuer"),
    ],
)
async def test_a_bad_issuer_is_refused_in_words_and_nothing_changes(
    db, tmp_path, issuer, issuer_url, code, words
):
    tenant, token = await _tenant(db)
    issuer_url = {
        "unreachable": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "not an issuer": f"{issuer.issuer}/nowhere",  # answers 404
        "another issuer": f"{issuer.issuer}/",  # its document names the issuer without /
    }.get(issuer_url, issuer_url)
    async with client(api_app(db, tmp_path), token["admin"]) as admin:
        refused = await admin.put("/v1/tenant/sso", json=_setting(issuer_url))
        after = await admin.get("/v1/tenant/sso")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert words in refused.json()["error"]["message"]
    assert "Nothing was changed" in refused.json()["error"]["message"] or code == "invalid_issuer"
    assert after.json() == {**after.json(), "configured": False}
    assert (
        await db.fetchval("SELECT count(*) FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant)
        == 0
    )


async def test_the_secret_is_sealed_never_shown_kept_when_blank_and_sign_in_works(
    db, tmp_path, issuer
):
    tenant, token = await _tenant(db)
    olive = await make_user(db, tenant)
    app = api_app(db, tmp_path)
    async with client(app, token["admin"]) as admin:
        first = await admin.put("/v1/tenant/sso", json=_setting(issuer.issuer, None))
        saved = await admin.put("/v1/tenant/sso", json=_setting(issuer.issuer))
        row = await db.fetchrow("SELECT * FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant)
        kept = await admin.put(
            "/v1/tenant/sso", json={**_setting(issuer.issuer, ""), "new_user_role": "viewer"}
        )
        shown = await admin.get("/v1/tenant/sso")
    assert first.status_code == 422
    assert first.json()["error"]["code"] == "client_secret_required"
    assert saved.status_code == kept.status_code == 200, kept.text
    assert CLIENT[1] not in saved.text + kept.text + shown.text
    assert shown.json()["issuer"] == issuer.issuer
    assert shown.json()["client_id"] == CLIENT[0]
    assert shown.json()["new_user_role"] == "viewer"
    assert shown.json()["updated_by"].startswith("admin:")
    assert row["plaintext_client_secret"] is None
    assert CLIENT[1] not in row["client_secret_sealed"]
    assert row["client_secret_sealed"].startswith("gAAAAA")  # a Fernet token
    browser = Browser(app)
    async with browser.http:
        assert await _signs_in(browser, issuer, tenant, olive.email)  # the kept secret works


async def test_the_jwks_is_read_once_and_again_for_a_rotated_key(db, tmp_path, issuer):
    tenant, token = await _tenant(db)
    olive = await make_user(db, tenant)
    app = api_app(db, tmp_path)
    async with client(app, token["admin"]) as admin:
        assert (await admin.put("/v1/tenant/sso", json=_setting(issuer.issuer))).is_success
    signed_in = []
    for rotate in (False, False, True, False):
        if rotate:
            issuer.rotate_key()
        browser = Browser(app)
        async with browser.http:
            signed_in.append(await _signs_in(browser, issuer, tenant, olive.email))
        signed_in.append(issuer.jwks_requests)
    assert signed_in == [True, 1, True, 1, True, 2, True, 2]


async def test_removing_it_stops_sign_on_and_a_second_remove_is_404(db, tmp_path, issuer):
    tenant, token = await _tenant(db)
    app = api_app(db, tmp_path)
    async with client(app, token["admin"]) as admin:
        await admin.put("/v1/tenant/sso", json=_setting(issuer.issuer))
        removed = await admin.delete("/v1/tenant/sso")
        again = await admin.delete("/v1/tenant/sso")
        shown = await admin.get("/v1/tenant/sso")
    browser = Browser(app)
    async with browser.http:
        begun = await browser.http.get("/login/sso", params={"business": tenant})
    assert removed.status_code == 204
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_configured"
    assert shown.json()["configured"] is False
    assert "That business does not use single sign-on" in begun.text


async def test_a_secret_stored_in_plain_text_before_0029_works_and_is_sealed(db, tmp_path, issuer):
    tenant, _ = await _tenant(db)
    olive = await make_user(db, tenant)
    await db.execute(
        """INSERT INTO jobs.tenant_sign_on (tenant_id, issuer, client_id, plaintext_client_secret)
           VALUES ($1, $2, $3, $4)""",
        tenant,
        issuer.issuer,
        *CLIENT,
    )
    app = api_app(db, tmp_path)
    before, after = Browser(app), Browser(app)
    async with before.http, after.http:
        assert await _signs_in(before, issuer, tenant, olive.email)
        assert await sign_on_store(db).seal_plaintext() >= 1
        assert await _signs_in(after, issuer, tenant, olive.email)
    row = await db.fetchrow("SELECT * FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant)
    assert row["plaintext_client_secret"] is None
    assert row["client_secret_sealed"] is not None
    assert CLIENT[1] not in row["client_secret_sealed"]


async def test_unknown_fields_and_overlong_values_are_422(db, tmp_path, issuer):
    _, token = await _tenant(db)
    async with client(api_app(db, tmp_path), token["admin"]) as admin:
        extra = await admin.put("/v1/tenant/sso", json={**_setting(issuer.issuer), "x": 1})
        long = await admin.put("/v1/tenant/sso", json=_setting("https://" + "a" * 600))
        role = await admin.put(
            "/v1/tenant/sso", json={**_setting(issuer.issuer), "new_user_role": "owner"}
        )
        blank_id = await admin.put(
            "/v1/tenant/sso", json={**_setting(issuer.issuer), "client_id": " "}
        )
    assert [extra.status_code, long.status_code, role.status_code] == [422, 422, 422]
    assert blank_id.status_code == 422
    assert blank_id.json()["error"]["code"] == "client_id_required"


async def test_the_cli_is_the_same_service(db, database_url, tmp_path, issuer, monkeypatch):
    tenant, token = await _tenant(db)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(sso_cli.SECRET_VARIABLE, CLIENT[1])
    settings = Settings()

    def args(action: str, issuer_url: str) -> argparse.Namespace:
        return argparse.Namespace(
            action=action, tenant=tenant, issuer=issuer_url, client_id=CLIENT[0],
            new_user_role=None,
        )  # fmt: skip

    with pytest.raises(ValueError, match="answered, but not as an OpenID Connect issuer"):
        await sso_cli.run(settings, args("configure", f"{issuer.issuer}/nowhere"))
    said = await sso_cli.run(settings, args("configure", issuer.issuer))
    async with client(api_app(db, tmp_path), token["admin"]) as admin:
        shown = (await admin.get("/v1/tenant/sso")).json()
    sealed = await db.fetchval(
        "SELECT client_secret_sealed FROM jobs.tenant_sign_on WHERE tenant_id = $1", tenant
    )
    removed = await sso_cli.run(settings, args("remove", ""))
    with pytest.raises(ValueError, match="This business does not use single sign-on"):
        await sso_cli.run(settings, args("remove", ""))
    assert said == f"{tenant}: single sign-on through {issuer.issuer}"
    assert (shown["issuer"], shown["updated_by"]) == (issuer.issuer, sso_cli.ACTOR)
    assert CLIENT[1] not in sealed
    assert removed == f"{tenant}: single sign-on removed"


async def test_the_kept_jwks_is_read_again_once_its_ten_minutes_pass(issuer):
    now = [0.0]
    cache = IssuerCache(clock=lambda: now[0], private_ok=True)  # the issuer is local
    jwks_uri = (await cache.metadata(issuer.issuer))["jwks_uri"]
    token = jwt.encode({"alg": "RS256", "kid": issuer.key.kid}, {"sub": "x"}, issuer.key)
    reads = []
    for at in (0.0, 599.0, 601.0, 700.0):
        now[0] = at
        await cache.keys_for(jwks_uri, token)
        reads.append(issuer.jwks_requests)
    assert reads == [1, 1, 2, 2]

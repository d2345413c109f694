"""An id token opens a session only when the issuer signed it for us, now, for this
sign-in: each forgery below is refused (OpenID Connect Core 1.0, 3.1.3.7)."""

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from jobline_jobs.adapters.oidc import verified
from jobline_jobs.service_layer.sign_on_ports import SignOnConfig, SignOnFailed

pytestmark = pytest.mark.unit
ISSUER = "https://id.example"
CONFIG = SignOnConfig("acme", ISSUER, "jobline", "secret", None)
KEY = RSAKey.generate_key(2048, {"kid": "k1"})
JWKS = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "sub": "u1", "aud": "jobline", "iat": now, "exp": now + 300,
        "nonce": "n1", "email": "ann@acme.example", "email_verified": True, "name": "Ann",
    }  # fmt: skip
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, Any], key: Any = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key)


def test_a_token_the_issuer_signed_for_this_sign_in_names_the_user():
    found = verified(_signed(_claims()), JWKS, CONFIG, "n1")
    assert (found.email, found.email_verified, found.name) == ("ann@acme.example", True, "Ann")


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda: _signed(_claims(nonce="other")), id="another sign-in's nonce"),
        pytest.param(lambda: _signed(_claims(nonce=None)), id="no nonce"),
        pytest.param(lambda: _signed(_claims(aud="another-client")), id="another audience"),
        pytest.param(lambda: _signed(_claims(iss="https://evil.example")), id="another issuer"),
        pytest.param(lambda: _signed(_claims(exp=int(time.time()) - 3600)), id="expired"),
        pytest.param(
            lambda: _signed(_claims(aud=["jobline", "other"])), id="several audiences, no azp"
        ),
        pytest.param(
            lambda: _signed(_claims(), RSAKey.generate_key(2048, {"kid": "k1"})),
            id="signed by another key",
        ),
        pytest.param(
            lambda: _signed(_claims(), OctKey.import_key("secret" * 6), "HS256"),
            id="HS256 keyed by the client secret",
        ),
        pytest.param(lambda: _signed(_claims(email=None)), id="no email"),
    ],
)
def test_a_forged_or_stale_token_is_refused(forged):
    with pytest.raises(SignOnFailed):
        verified(forged(), JWKS, CONFIG, "n1")


def test_an_unverified_email_is_reported_as_such():
    found = verified(_signed(_claims(email_verified=None)), JWKS, CONFIG, "n1")
    assert not found.email_verified

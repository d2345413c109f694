"""The tenant's OpenID Connect issuer: Authlib prepares the authorization code flow's
requests (with PKCE S256), the service's httpx sends them (Authlib's own httpx client now
warns that it wants the httpx2 fork), and joserfc verifies the id token's signature by the
issuer's JWKS and its claims.

The discovery document and the JWKS are kept ten minutes per issuer (issuer_cache.py); a
token signed by a key not kept reads the JWKS again, so a key the issuer rotated in
verifies at once."""

from urllib.parse import quote

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from jobline_jobs.adapters.issuer_cache import IssuerCache
from jobline_jobs.service_layer.sign_on_ports import (
    Attempt,
    Identity,
    IdentityProvider,
    SignOnConfig,
    SignOnFailed,
)

SCOPE = "openid email profile"
# Asymmetric only: "none" and HS256 (keyed by the client secret) are never accepted.
ALGORITHMS = ["RS256", "PS256", "ES256"]
LEEWAY = 60  # seconds of clock difference tolerated on exp and iat


class OidcProvider(IdentityProvider):
    def __init__(self, cache: IssuerCache | None = None) -> None:
        self._cache = cache or IssuerCache()

    async def discover(self, issuer: str) -> None:
        await self._cache.metadata(issuer, fresh=True)

    async def authorization_url(self, config: SignOnConfig, attempt: Attempt, state: str) -> str:
        meta = await self._cache.metadata(config.issuer)
        url: str = prepare_grant_uri(
            meta["authorization_endpoint"],
            config.client_id,
            "code",
            redirect_uri=attempt.redirect_uri,
            scope=SCOPE,
            state=state,
            nonce=attempt.nonce,
            code_challenge=create_s256_code_challenge(attempt.code_verifier),  # type: ignore[no-untyped-call]
            code_challenge_method="S256",
        )
        return url

    async def identity(self, config: SignOnConfig, attempt: Attempt, code: str) -> Identity:
        meta = await self._cache.metadata(config.issuer)
        body = prepare_token_request(
            "authorization_code",
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=attempt.code_verifier,
        )
        try:
            async with self._cache.client() as client:
                answer = await client.post(
                    meta["token_endpoint"],
                    content=body,
                    # client_secret_basic: each part form-encoded first (RFC 6749, 2.3.1)
                    auth=(quote(config.client_id, safe=""), quote(config.client_secret, safe="")),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                token = answer.raise_for_status().json()
        except (httpx.HTTPError, AuthlibBaseError, ValueError) as error:
            raise SignOnFailed(f"the token request failed: {error!r}") from error
        id_token = token.get("id_token") if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise SignOnFailed("the token answer has no id_token")
        keys = await self._cache.keys_for(meta["jwks_uri"], id_token)
        return verified(id_token, keys, config, attempt.nonce)


def verified(id_token: str, keys: KeySet, config: SignOnConfig, nonce: str) -> Identity:
    """The identity in ``id_token`` once its signature and claims hold (OpenID Connect
    Core 1.0, 3.1.3.7)."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SignOnFailed(f"the id token does not verify: {error!r}") from error
    claims = token.claims
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise SignOnFailed("the id token is for several audiences and not authorized for us")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise SignOnFailed("the id token carries no email (is the email scope allowed?)")
    name = claims.get("name")
    return Identity(
        subject=str(claims["sub"]),
        email=email,
        email_verified=claims.get("email_verified", False) is True,
        name=name if isinstance(name, str) and name.strip() else None,
    )

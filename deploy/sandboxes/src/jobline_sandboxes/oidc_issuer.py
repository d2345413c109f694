"""A tiny OpenID Connect issuer for tests and local runs: a discovery document, a JWKS of
one RSA key made at start (``rotate_key`` replaces it, as an issuer rotating its keys
does; ``jwks_requests`` counts the JWKS read), an authorize page where a person types the
email to be signed in as, and a token endpoint that checks the client, the redirect and
the PKCE verifier, then signs an id token (RS256, with the nonce it was given).

It vouches for any email typed: a stand-in for a business's identity provider, never one."""

import base64
import hashlib
import hmac
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_SECONDS = 60
TOKEN_SECONDS = 300


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    email: str
    name: str
    at: float


@dataclass
class OidcIssuer:
    """``issuer``: this server's own URL; ``clients``: each client id and its secret."""

    issuer: str
    clients: dict[str, str]
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"use": "sig"}))
    grants: dict[str, _Grant] = field(default_factory=dict)
    issued: list[dict[str, Any]] = field(default_factory=list)  # the id tokens' claims
    jwks_requests: int = 0

    def __post_init__(self) -> None:
        self.key.ensure_kid()

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the old one leaves the JWKS at once."""
        self.key = RSAKey.generate_key(2048, {"use": "sig"})
        self.key.ensure_kid()

    async def discovery(self, _: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def jwks(self, _: Request) -> Response:
        self.jwks_requests += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize_page(self, request: Request) -> Response:
        q = request.query_params
        problem = self._authorize_problem(q)
        if problem:
            return HTMLResponse(f"<p role='alert'>{html.escape(problem)}</p>", 400)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(q[k])}">'
            for k in ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        )
        return HTMLResponse(
            "<!doctype html><html lang='en'><title>Test identity provider</title>"
            "<main><h1>Test identity provider</h1><form method='post' action='/authorize'>"
            f"{hidden}<label for='email'>Email address</label>"
            "<input id='email' name='email' type='email' required>"
            "<label for='name'>Full name</label><input id='name' name='name'>"
            "<button type='submit'>Approve sign-in</button></form></main></html>"
        )

    async def authorize(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        problem = self._authorize_problem(
            {**form, "response_type": "code", "code_challenge_method": "S256", "scope": "openid"}
        )
        if problem:
            return HTMLResponse(f"<p role='alert'>{html.escape(problem)}</p>", 400)
        code = secrets.token_urlsafe(24)
        self.grants[code] = _Grant(
            form["client_id"], form["redirect_uri"], form["code_challenge"], form["nonce"],
            form["email"], form.get("name", ""), time.monotonic(),
        )  # fmt: skip
        back = urlencode({"code": code, "state": form["state"]})
        return RedirectResponse(f"{form['redirect_uri']}?{back}", 303)

    def _authorize_problem(self, q: Any) -> str | None:  # noqa: ANN401 - a mapping
        if q.get("client_id") not in self.clients:
            return "unknown client_id"
        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            return "only the authorization code flow of OpenID Connect is served"
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return "PKCE with S256 is required"
        if not q.get("state") or not q.get("nonce") or not q.get("redirect_uri"):
            return "state, nonce and redirect_uri are required"
        return None

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id, secret = _client_of(request, form)
        if not hmac.compare_digest(self.clients.get(client_id, "\0"), secret):
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or time.monotonic() - grant.at > CODE_SECONDS
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or _s256(form.get("code_verifier", "")) != grant.challenge
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": hashlib.sha256(grant.email.encode()).hexdigest()[:24],
            "aud": client_id, "iat": now, "exp": now + TOKEN_SECONDS, "nonce": grant.nonce,
            "email": grant.email, "email_verified": True, "name": grant.name or None,
        }  # fmt: skip
        self.issued.append(claims)
        header = {"alg": "RS256", "kid": self.key.kid}
        id_token = jwt.encode(header, claims, self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )


def _client_of(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """The client's id and secret, by HTTP Basic or in the form."""
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        decoded = base64.b64decode(basic[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def create_app(issuer: OidcIssuer) -> Starlette:
    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", issuer.discovery),
            Route("/jwks", issuer.jwks),
            Route("/authorize", issuer.authorize_page, methods=["GET"]),
            Route("/authorize", issuer.authorize, methods=["POST"]),
            Route("/token", issuer.token, methods=["POST"]),
        ]
    )

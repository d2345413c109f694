"""What each OpenID Connect issuer publishes, kept a while: its discovery document and its
JWKS are read once per ``ttl`` (ten minutes) per issuer instead of at every sign-in. A
token signed by a key the kept JWKS lacks (the issuer rotated its keys) reads the JWKS
again at once, once for that token."""

import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from jobline_jobs.adapters import public_http
from jobline_jobs.service_layer.sign_on_ports import IssuerUnreachable, NotAnIssuer, SignOnFailed

TTL = 600.0
NEEDED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class IssuerCache:
    def __init__(
        self,
        timeout: float = 10.0,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        *,
        private_ok: bool = False,
    ) -> None:
        """``private_ok``: the issuer may be on this network (development only; see
        ``public_http``)."""
        self._timeout, self._ttl, self._clock = timeout, ttl, clock
        self._private_ok = private_ok
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, tuple[float, KeySet]] = {}  # by jwks_uri

    def client(self) -> httpx.AsyncClient:
        """A client for the issuer's addresses: public ones only, unless ``private_ok``."""
        return httpx.AsyncClient(
            timeout=self._timeout, transport=public_http.transport(private_ok=self._private_ok)
        )

    async def metadata(self, issuer: str, *, fresh: bool = False) -> dict[str, Any]:
        """The issuer's discovery document, checked (IssuerUnreachable, NotAnIssuer)."""
        kept = self._metadata.get(issuer)
        if kept is not None and not fresh and self._clock() - kept[0] < self._ttl:
            return kept[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            async with self.client() as client:
                answer = await client.get(url)
        except httpx.HTTPError as error:
            raise IssuerUnreachable(f"discovery at {url} failed: {error!r}") from error
        if answer.is_server_error:
            raise IssuerUnreachable(f"discovery at {url} answered {answer.status_code}")
        if not answer.is_success:  # a server is there, with no discovery document
            raise NotAnIssuer(f"discovery at {url} answered {answer.status_code}")
        try:
            meta = answer.json()
        except ValueError as error:
            raise NotAnIssuer(f"discovery at {url} is not JSON") from error
        if not isinstance(meta, dict) or meta.get("issuer") != issuer:
            # OpenID Connect Discovery 1.0, section 4.3: it must name the issuer itself.
            found = meta.get("issuer") if isinstance(meta, dict) else None
            raise NotAnIssuer(f"discovery names issuer {found!r}, not {issuer!r}")
        if not all(isinstance(meta.get(k), str) for k in NEEDED):
            raise NotAnIssuer(f"discovery at {url} lacks one of {NEEDED}")
        self._metadata[issuer] = (self._clock(), meta)
        return meta

    async def keys_for(self, jwks_uri: str, id_token: str) -> KeySet:
        """The issuer's keys, read again if the token's ``kid`` is not among those kept."""
        kept = self._keys.get(jwks_uri)
        if (
            kept is not None
            and self._clock() - kept[0] < self._ttl
            and _kid(id_token) in {None, *(key.kid for key in kept[1].keys)}
        ):
            return kept[1]
        try:
            async with self.client() as client:
                found = (await client.get(jwks_uri)).raise_for_status().json()
            keys = KeySet.import_key_set(found)
        except (httpx.HTTPError, JoseError, ValueError, TypeError, KeyError) as error:
            raise SignOnFailed(f"the JWKS at {jwks_uri} could not be read: {error!r}") from error
        self._keys[jwks_uri] = (self._clock(), keys)
        return keys


def _kid(id_token: str) -> str | None:
    """The id token's key id (its header is read unverified: only to choose the key)."""
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError) as error:
        raise SignOnFailed(f"the id token is not a compact JWS: {error!r}") from error
    return kid if isinstance(kid, str) else None

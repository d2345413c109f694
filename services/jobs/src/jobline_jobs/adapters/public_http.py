"""An httpx transport that reaches public addresses only.

A tenant's admin names the single sign-on issuer, and the issuer's discovery document
names the JWKS and token addresses: the service fetches URLs that people outside the
operator chose. Reaching this network's own addresses (the cloud's metadata service,
PostgreSQL, an admin port) through them would let an admin probe or call what the server
can see, so every address a host name resolves to must be public, or the request is
refused before it is sent. (A name that resolves differently between this check and the
connection, DNS rebinding, is not covered: the connection is httpx's own.)
"""

import asyncio
import ipaddress
import socket

import httpx


class PublicOnly(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await _refuse_private(request)
        return await super().handle_async_request(request)


async def _refuse_private(request: httpx.Request) -> None:
    host = request.url.host
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise httpx.ConnectError(
            f"{host} could not be resolved: {error}", request=request
        ) from error
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise httpx.ConnectError(f"{host} is not a public address ({ip})", request=request)


def transport(*, private_ok: bool) -> httpx.AsyncHTTPTransport:
    """``PublicOnly``, or httpx's own where private addresses are fine (development, whose
    test issuer runs on this machine)."""
    return httpx.AsyncHTTPTransport() if private_ok else PublicOnly()

"""``Strict-Transport-Security`` on every answer given over https, so a browser that once
reached the console through the TLS ingress never falls back to plain http for it (where
the session cookie, ``Secure`` only on https, would travel in the clear).

The scheme is the request's as the server saw it: behind a proxy, uvicorn takes it from
``X-Forwarded-Proto`` only when the proxy's address is in ``FORWARDED_ALLOW_IPS``
(``Settings.forwarded_allow_ips``); otherwise it is the socket's own."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StrictTransportSecurity:
    """A pure ASGI middleware; ``max_age`` 0 adds nothing."""

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self._value = f"max-age={max_age}".encode() if max_age > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https" or self._value is None:
            await self.app(scope, receive, send)
            return
        value = self._value

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"strict-transport-security", value)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_hsts)

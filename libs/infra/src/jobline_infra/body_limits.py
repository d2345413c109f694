"""Request bodies bounded while they stream, before anything parses them or checks a token.

FastAPI reads a JSON body whole (and spools a multipart one to the temp directory) before
a route's dependencies run, so without this an unauthenticated 200 MB POST was read to
its last byte and only then answered 401. :class:`BodyLimits` is a pure ASGI middleware:
a declared ``Content-Length`` over the route's limit is answered 413 at once, without
reading; a body sent without one (chunked) is counted as it arrives and refused the
moment it passes the limit. The limit is chosen by path: the first pattern in
``limits`` that matches the whole path, else ``default``.

Any answer given before the client finished sending (this 413, or a 401 the app gave
without reading) is written whole, then up to ``LINGER_BYTES`` more of the body are read
and dropped before the answer ends and the server closes (nginx's lingering close):
closed with unread data, a socket resets, and the reset can destroy the answer before
the client has read it.
"""

import contextlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
MIB = 1024 * KIB
JSON_LIMIT = 256 * KIB
WEBHOOK_LIMIT = 64 * KIB
# Multipart framing (boundaries, part headers, the other form fields) beside the file.
MULTIPART_ALLOWANCE = 64 * KIB
LINGER_BYTES = 16 * MIB  # a client still sending after this is not reading the answer


class BodyTooLarge(Exception):
    """Raised from ``receive`` to stop the app reading a body past its limit (the
    middleware answers 413 itself; a route that passes the body on ends it there)."""


def describe(limit: int) -> str:
    """``262144`` → ``256 KiB``; ``10485760`` → ``10 MiB``."""
    if limit % MIB == 0:
        return f"{limit // MIB} MiB"
    return f"{limit // KIB} KiB" if limit % KIB == 0 else f"{limit} bytes"


class BodyLimits:
    """Wraps an ASGI app; see the module."""

    def __init__(self, app: ASGIApp, default: int, limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app, self._default = app, default
        self._limits = tuple((re.compile(pattern), limit) for pattern, limit in limits)

    def limit_for(self, path: str) -> int:
        matching = (limit for pattern, limit in self._limits if pattern.fullmatch(path))
        return next(matching, self._default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, receive, send, self.limit_for(scope["path"]))
        if exchange.declared > exchange.limit:
            await exchange.refuse()
            return
        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, exchange.receive, exchange.send)
        if exchange.exceeded and not exchange.started:
            await exchange.refuse()


class _Exchange:
    """One request's body as it is read, and its answer as it is written."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        headers = dict(scope["headers"])
        self.declared = _length(headers.get(b"content-length"))
        self.body_done = self.declared == 0 and b"transfer-encoding" not in headers
        self.received, self.exceeded, self.started = 0, False, False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.exceeded = self.exceeded or self.received > self.limit
        self.body_done = message["type"] != "http.request" or not message.get("more_body")
        if self.exceeded:
            raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded:  # the app's answer to a body it could not read (FastAPI: a 400)
            return
        self.started = self.started or message["type"] == "http.response.start"
        if message["type"] == "http.response.body" and not message.get("more_body"):
            await self._finish(message.get("body", b""))
        else:
            await self._send(message)

    async def refuse(self) -> None:
        reason = f"the request body is over this route's limit of {describe(self.limit)}"
        error = {"code": "payload_too_large", "message": reason, "details": {"limit": self.limit}}
        body = json.dumps({"error": error}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the rest of the body will not be read
        ]
        await self._send({"type": "http.response.start", "status": 413, "headers": headers})
        await self._finish(body)

    async def _finish(self, body: bytes) -> None:
        """The answer's last bytes; if the client is still sending, read and drop what it
        sends (up to ``LINGER_BYTES``) before the answer ends and the server closes."""
        if self.body_done:
            await self._send({"type": "http.response.body", "body": body})
            return
        await self._send({"type": "http.response.body", "body": body, "more_body": True})
        drained = 0
        while not self.body_done and drained < LINGER_BYTES:
            message = await self._receive()
            drained += len(message.get("body", b""))
            self.body_done = message["type"] != "http.request" or not message.get("more_body")
        await self._send({"type": "http.response.body", "body": b""})


def _length(value: bytes | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0  # the server refuses a malformed length itself

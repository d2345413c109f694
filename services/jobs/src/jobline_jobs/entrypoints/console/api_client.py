"""The console is a client of the v1 JSON API, called in-process (httpx's ASGI transport):
every role check, rule, refusal and error message is the API's own, not a copy."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import Request

from jobline_infra.body_limits import BodyTooLarge
from jobline_jobs.entrypoints.console import plain_words

RENDER_DEADLINE = 30.0  # seconds the console keeps asking for a first invoice render


class ApiRefusal(Exception):
    """The API said no; ``message`` is its explanation in plain words (plain_words.py)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Api:
    """The v1 API as the signed-in operator (their token travels as the bearer)."""

    def __init__(self, request: Request, token: str) -> None:
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app),
            base_url="http://jobs.internal",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def raw(self, method: str, path: str) -> httpx.Response:
        return await self._client.request(method, path)

    async def get(self, path: str, **params: str | int | None) -> dict[str, Any]:
        """The JSON answer of a GET; ApiRefusal for any error."""
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return _json(await self._client.get(path, params=clean))

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer of a POST; ApiRefusal for any error."""
        return _json(await self._client.post(path, json=body))

    async def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer of a PATCH; ApiRefusal for any error."""
        return _json(await self._client.patch(path, json=body))

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer of a PUT; ApiRefusal for any error."""
        return _json(await self._client.put(path, json=body))

    async def delete(self, path: str) -> None:
        """DELETE; ApiRefusal for any error."""
        answer = await self._client.delete(path)
        if answer.status_code >= 400:
            _json(answer)

    async def forward_upload(self, method: str, path: str, request: Request) -> dict[str, Any]:
        """Send the browser's multipart body on to the API as it arrives, never parsed or
        spooled here: the API streams the file to the blob store and enforces the size
        and type rules on the way. ApiRefusal for any error."""
        headers = {"content-type": request.headers.get("content-type", "")}
        body = _until_the_limit(request)
        return _json(await self._client.request(method, path, content=body, headers=headers))

    async def post_rendered(
        self, path: str, body: dict[str, Any], within: float = RENDER_DEADLINE
    ) -> dict[str, Any]:
        """POST something that carries the invoice PDF: while the API answers that the PDF
        is still rendering (it waited a few seconds itself), ask again until ``within``."""
        deadline = time.monotonic() + within
        while True:
            try:
                return await self.post(path, body)
            except ApiRefusal as refusal:
                if refusal.code != "invoice_rendering" or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.5)


async def _until_the_limit(request: Request) -> AsyncIterator[bytes]:
    """The browser's body as it arrives, ended where it passes this route's limit: the
    middleware answers the browser 413 then, and the API, seeing the body end, answers
    (and stops reading) at once instead of waiting for more."""
    with contextlib.suppress(BodyTooLarge):
        async for chunk in request.stream():
            yield chunk


def _json(answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code >= 400:
        try:
            error = answer.json()["error"]
            code, message = str(error["code"]), str(error["message"])
            message = plain_words.sentence(code, message, error.get("details"))
        except (ValueError, KeyError, TypeError, AttributeError):
            code, message = "http_error", answer.text[:200] or answer.reason_phrase
        raise ApiRefusal(answer.status_code, code, message)
    found: dict[str, Any] = answer.json()
    return found

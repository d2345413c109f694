"""The body limit on its own, in front of an app that reads whatever it is given."""

import httpx
import pytest

from jobline_infra.body_limits import BodyLimits

pytestmark = pytest.mark.unit


async def _echo_size(scope, receive, send):
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def _client() -> httpx.AsyncClient:
    app = BodyLimits(_echo_size, default=1024, limits=[(r"/files/[^/]+", 4096)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_body_within_its_routes_limit_reaches_the_app():
    async with _client() as client:
        assert (await client.post("/json", content=b"x" * 1024)).text == "1024"
        assert (await client.post("/files/a", content=b"x" * 4096)).text == "4096"


async def test_a_declared_length_over_the_limit_is_refused_with_413_and_the_limit():
    async with _client() as client:
        answer = await client.post("/json", content=b"x" * 1025)
    assert answer.status_code == 413
    assert answer.json()["error"]["message"] == (
        "the request body is over this route's limit of 1 KiB"
    )


async def test_a_body_without_a_length_is_refused_once_it_passes_the_limit():
    async def pieces():
        for _ in range(10):
            yield b"x" * 1000

    async with _client() as client:
        answer = await client.post("/files/a", content=pieces())
    assert answer.status_code == 413
    assert answer.json()["error"]["details"] == {"limit": 4096}

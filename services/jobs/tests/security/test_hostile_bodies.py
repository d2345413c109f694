"""Unauthenticated bodies far over any limit, to every route that takes a body: refused
with 413 before anything reads them, so the service's memory and temp directory do not
grow with them."""

import re
import uuid

import httpx
import pytest

from jobline_testing.hostile import post_huge
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]

TWO_HUNDRED_MB = 200 * 1024 * 1024
CONSOLE_FORMS = ["/login", f"/jobs/{uuid.uuid4()}/email", f"/jobs/{uuid.uuid4()}/defer"]


def _routes_taking_a_body(openapi: dict) -> list[str]:
    """Every API path with a request body, its ids filled in, plus the console's forms."""
    paths = [
        re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for path, operations in openapi["paths"].items()
        if any("requestBody" in op for op in operations.values())
    ]
    return paths + CONSOLE_FORMS


@pytest.mark.parametrize("framing", ["declared", "chunked"])
async def test_a_200_mb_unauthenticated_body_is_refused_with_413_on_every_route(
    jobs_service: ServiceProcess, framing: str
):
    async with httpx.AsyncClient(base_url=jobs_service.url) as client:
        routes = _routes_taking_a_body((await client.get("/openapi.json")).json())
    assert any(route.endswith("/documents") for route in routes)
    rss, temp = jobs_service.rss_bytes(), jobs_service.temp_bytes()
    for route in routes:
        status = await post_huge(
            jobs_service.url, route, TWO_HUNDRED_MB, chunked=framing == "chunked"
        )
        # With no length declared, a route that refuses strangers before reading the body
        # (401, 403, 404) may say so first; either way the body is not read past the limit.
        assert status == 413 if framing == "declared" else 400 <= status < 500, f"{route}: {status}"
    grown = jobs_service.rss_bytes() - rss
    assert grown <= 20 * 1024 * 1024, f"RSS grew by {grown / 2**20:.0f} MiB"
    assert jobs_service.temp_bytes() == temp

"""The pure ASGI middleware: request ids, metrics by route template, /metrics."""

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from jobline_infra.observability.asgi import ObservabilityMiddleware

pytestmark = pytest.mark.unit


class Runtime:
    def __init__(self) -> None:
        self.refreshed = 0

    async def refresh_metrics(self) -> None:
        self.refreshed += 1


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(ObservabilityMiddleware)
    app.state.runtime = Runtime()
    return app


def _requests(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("jobline_http_requests_total", labels) or 0.0


async def test_requests_are_counted_by_route_template_and_carry_a_request_id():
    app = _app()
    before = _requests("/v1/items/{item_id}", "200")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        first = await client.get("/v1/items/a")
        second = await client.get("/v1/items/b", headers={"X-Request-ID": "given-id"})
        missing = await client.get("/nowhere")
        failed = await client.get("/boom")
    assert first.json() == {"id": "a"}
    assert len(first.headers["x-request-id"]) == 32
    assert second.headers["x-request-id"] == "given-id"
    assert (missing.status_code, failed.status_code) == (404, 500)
    assert _requests("/v1/items/{item_id}", "200") == before + 2
    assert _requests("unmatched", "404") >= 1
    assert _requests("/boom", "500") >= 1


async def test_metrics_are_served_after_the_runtime_refreshed_its_gauges():
    app = _app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/v1/items/a")
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'jobline_http_requests_total{method="GET",route="/v1/items/{item_id}"' in answer.text
    assert app.state.runtime.refreshed == 1

"""FastAPI's own OpenTelemetry is off in every service (``NATIVE_TELEMETRY_OFF``): with a
tracer provider set it would trace each request a second time beside
``ObservabilityMiddleware``, and its dependency and serialisation steps besides."""

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jobline_infra.observability.asgi import NATIVE_TELEMETRY_OFF

pytestmark = pytest.mark.unit


async def _spans_of_one_request(telemetry: dict[str, object]) -> list[str]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI(telemetry={**telemetry, "tracer_provider": provider})  # type: ignore[typeddict-item]

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/things/a")).status_code == 200
    return [span.name for span in exporter.get_finished_spans()]


async def test_fastapi_traces_nothing_of_its_own_in_a_service():
    assert await _spans_of_one_request({}) != []  # what it does when left on
    assert await _spans_of_one_request(NATIVE_TELEMETRY_OFF) == []

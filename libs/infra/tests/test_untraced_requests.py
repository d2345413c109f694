"""With tracing export off (no span recorded), a request's ``traceparent`` is still the
current trace context while it is handled, so what it writes carries the caller's trace
(an outbox row, then the published event); without one there is none."""

import httpx
import pytest
from fastapi import FastAPI

from jobline_infra.observability import tracing
from jobline_infra.observability.asgi import ObservabilityMiddleware

pytestmark = pytest.mark.unit
CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/things")
    async def write() -> dict[str, str | None]:
        return {"traceparent": tracing.current_traceparent()}

    app.add_middleware(ObservabilityMiddleware)
    return app


async def test_a_request_s_traceparent_is_current_while_it_is_handled_without_tracing():
    assert not tracing.enabled()
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        traced = await client.post("/v1/things", headers={"traceparent": CALLER})
        untraced = await client.post("/v1/things")
        malformed = await client.post("/v1/things", headers={"traceparent": "nonsense"})
    assert traced.json() == {"traceparent": CALLER}
    assert untraced.json() == {"traceparent": None}
    assert malformed.json() == {"traceparent": None}
    assert tracing.current_traceparent() is None  # detached once answered


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (CALLER, True),
        ("nonsense", False),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", False),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", False),
        (CALLER + "-and-more" * 1000, False),
    ],
)
def test_a_consumed_message_s_traceparent_is_kept_only_when_well_formed(header, kept):
    headers = [("message-type", b"job.dispatched"), ("traceparent", header.encode())]
    assert tracing.sent_traceparent(headers) == (header if kept else None)
    assert tracing.sent_traceparent(headers[:1]) is None

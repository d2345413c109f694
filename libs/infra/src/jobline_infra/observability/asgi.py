"""A pure ASGI middleware (no per-request task or body buffering, unlike Starlette's
BaseHTTPMiddleware): request ids, HTTP metrics by route template, a server span when
tracing is on, and the ``/metrics`` answer.

The jobs list is benchmarked through it; what it adds per request is a few dictionary
look-ups, two metric updates and a context variable (tens of microseconds at most).
"""

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from opentelemetry.trace import SpanKind

from jobline_infra.observability import metrics, tracing
from jobline_infra.probes import refreshed_gauges

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

# FastAPI (0.16x) traces, times and logs every request itself once an OpenTelemetry
# provider is set, with spans for dependency solving and serialisation besides: every
# request traced twice beside this middleware, and work on every request. Each service's
# app turns it off: ``FastAPI(telemetry=NATIVE_TELEMETRY_OFF)``.
NATIVE_TELEMETRY_OFF: Any = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
_METRICS_HEADERS = [(b"content-type", metrics.CONTENT_TYPE.encode())]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class ObservabilityMiddleware:
    """Wraps an ASGI app. ``GET /metrics`` first awaits ``app.state.runtime.refresh_metrics()``
    when the running service has one (gauges read at scrape time, e.g. outbox lag), at most
    once every few seconds (see ``jobline_infra.probes``)."""

    def __init__(self, app: ASGIApp, metrics_path: str = "/metrics") -> None:
        self.app = app
        self._metrics_path = metrics_path
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == self._metrics_path and scope["method"] == "GET":
            await self._metrics(scope, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid)]
            await send(message)

        rid = request_id.encode("latin-1")
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if tracing.enabled():
                await self._traced(scope, receive, send_with_id)
            else:
                # No span, but the caller's trace context still holds for the request:
                # what it writes (outbox rows, the events they become) carries it on.
                with tracing.attached(_header(scope, b"traceparent")):
                    await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
            self._observe(scope, status, time.perf_counter() - started)

    async def _traced(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        with tracing.continued(
            method,
            _header(scope, b"traceparent"),
            SpanKind.SERVER,
            **{"http.request.method": method, "url.path": scope["path"]},
        ) as span:
            try:
                await self.app(scope, receive, send)
            finally:
                span.update_name(f"{method} {_route(scope)}")
                span.set_attribute("http.route", _route(scope))

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        key = (scope["method"], _route(scope), status)
        children = self._children.get(key)
        if children is None:
            children = (
                metrics.HTTP_REQUESTS.labels(key[0], key[1], str(status)),
                metrics.HTTP_LATENCY.labels(key[0], key[1]),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        refresh = getattr(runtime, "refresh_metrics", None)
        if refresh is not None:
            try:
                await refreshed_gauges(refresh)
            except Exception as error:  # a scrape still answers with what it has
                log.warning("refreshing metrics failed: %s", error)
        body = metrics.exposition()
        await send({"type": "http.response.start", "status": 200, "headers": _METRICS_HEADERS})
        await send({"type": "http.response.body", "body": body})


def _route(scope: Scope) -> str:
    """The route template (``/v1/jobs/{job_id}``), never the raw path: bounded labels."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")

"""OpenTelemetry traces across the services, their context carried as W3C ``traceparent``.

The context travels in Kafka headers; where work waits in a table (an outbox row, a
delivery in the comms ledger) the row keeps the ``traceparent`` so the work done later
is a child of the request or message that asked for it. Off by default: with no
exporter the API's no-op tracer runs, and ids still propagate from upstream.
"""

import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from jobline_infra.observability.settings import ObservabilitySettings

_PROPAGATOR = TraceContextTextMapPropagator()
Attribute = str | int | float | bool
_state = {"enabled": False}


def enabled() -> bool:
    """Whether this process records spans (an exporter is configured)."""
    return _state["enabled"]


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span as one JSON object per line (for tests and laptops)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(_as_dict(span), default=str) + "\n" for span in spans)
        with self._lock:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, lines.encode())
            finally:
                os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _as_dict(span: ReadableSpan) -> dict[str, Any]:
    context, parent = span.get_span_context(), span.parent
    return {
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "trace_id": format(context.trace_id, "032x") if context else None,
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": {k: _plain(v) for k, v in (span.attributes or {}).items()},
    }


def _plain(value: object) -> object:
    if isinstance(value, bytes):  # e.g. a Kafka message key
        return value.decode("utf-8", "replace")
    return list(value) if isinstance(value, tuple) else value


def configure_tracing(service: str, settings: ObservabilitySettings) -> None:
    """Install the global tracer provider, unless no exporter is configured."""
    exporter: SpanExporter
    if settings.exporter == "none":
        return
    if settings.exporter == "file":
        exporter = JsonLinesSpanExporter(settings.traces_file or Path(f"{service}-traces.jsonl"))
    elif settings.exporter == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415 - only when used
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, …
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"jobline-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.traces_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    _state["enabled"] = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("jobline")


def kafka_middleware() -> KafkaTelemetryMiddleware:
    """Consume spans continuing the ``traceparent`` of each Kafka message's headers."""
    return KafkaTelemetryMiddleware(include_messages_counters=False)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, to store beside deferred work."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> Context | None:
    """The context a stored ``traceparent`` names (None: start a new trace)."""
    if not traceparent:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})


def inject(headers: dict[str, str], parent: Context | None = None) -> None:
    """Put the current (or ``parent``) context's ``traceparent`` into ``headers``."""
    _PROPAGATOR.inject(headers, context=parent)


@contextmanager
def continued(
    name: str,
    traceparent: str | None,
    kind: SpanKind = SpanKind.INTERNAL,
    **attributes: Attribute,
) -> Iterator[Span]:
    """A span that continues the stored ``traceparent`` (a new trace without one)."""
    with tracer().start_as_current_span(
        name, context=context_of(traceparent), kind=kind, attributes=attributes
    ) as current:
        yield current


@contextmanager
def attached(traceparent: str | None) -> Iterator[None]:
    """The stored ``traceparent`` as the current context, without a span (tracing off:
    the caller's context passes through, as a no-op span would pass it)."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(_PROPAGATOR.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def span(name: str, kind: SpanKind = SpanKind.INTERNAL, **attributes: Attribute) -> Iterator[Span]:
    """A child span of the current one."""
    with tracer().start_as_current_span(name, kind=kind, attributes=attributes) as current:
        yield current


def traceparent_of(headers: Sequence[tuple[str, bytes]]) -> str | None:
    """The ``traceparent`` among a Kafka record's headers, if it has one."""
    for key, value in headers:
        if key == "traceparent":
            return value.decode("latin-1")
    return None


_TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


def sent_traceparent(headers: Sequence[tuple[str, bytes]]) -> str | None:
    """A Kafka record's ``traceparent`` if it is a well-formed W3C one (version 00): a
    stranger's header is kept and sent on only when it is what it claims to be."""
    found = traceparent_of(headers)
    return found if found is not None and _TRACEPARENT.fullmatch(found) else None


def received(topic: str, headers: Sequence[tuple[str, bytes]]) -> str | None:
    """A receive span continuing a Kafka record's ``traceparent``; returns the span's own
    ``traceparent``, to keep with the work the record leaves for later (batch consumers
    handle many records in one span, so each record gets this one of its own)."""
    parent = traceparent_of(headers)
    if parent is None:
        return None
    attributes: dict[str, Attribute] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
    }
    with continued(f"{topic} receive", parent, SpanKind.CONSUMER, **attributes):
        return current_traceparent()

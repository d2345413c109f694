"""Trace context kept beside deferred work and carried in Kafka headers; spans as JSON lines."""

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider

from jobline_infra.observability import tracing

pytestmark = pytest.mark.unit
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def test_work_continued_from_a_stored_traceparent_stays_in_its_trace():
    with tracing.continued("attempt", PARENT):
        inside = tracing.current_traceparent()
    assert inside is not None
    assert inside.split("-")[1] == TRACE_ID
    assert tracing.current_traceparent() is None  # nothing leaks out of the block


def test_without_a_traceparent_there_is_nothing_to_continue():
    assert tracing.context_of(None) is None
    assert tracing.received("t", [("other", b"x")]) is None


def test_the_traceparent_header_of_a_kafka_record_is_found_and_continued():
    headers = [("content-type", b"application/json"), ("traceparent", PARENT.encode())]
    assert tracing.traceparent_of(headers) == PARENT
    kept = tracing.received("comms.commands.v1", headers)
    assert kept is not None
    assert kept.split("-")[1] == TRACE_ID


def test_injected_headers_carry_the_context():
    headers: dict[str, str] = {"message-type": "sms.send"}
    tracing.inject(headers, tracing.context_of(PARENT))
    assert headers["traceparent"] == PARENT


def test_finished_spans_are_appended_as_json_lines(tmp_path):
    path = tmp_path / "spans.jsonl"
    exporter = tracing.JsonLinesSpanExporter(path)
    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("parent") as parent:
        child = tracer.start_span("child", attributes={"key": b"k-1", "n": (1, 2)})
        child.end()
    exporter.export([child, parent])  # type: ignore[list-item]
    exporter.export([parent])  # type: ignore[list-item]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [s["name"] for s in lines] == ["child", "parent", "parent"]
    assert lines[0]["parent_span_id"] == lines[1]["span_id"]
    assert lines[0]["trace_id"] == lines[1]["trace_id"]
    assert lines[0]["attributes"] == {"key": "k-1", "n": [1, 2]}
    assert lines[1]["parent_span_id"] is None
    assert path.stat().st_size > 0

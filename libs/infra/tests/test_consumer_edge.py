"""The consumer edge through typed FastStream subscribers: each test runs on FastStream's
in-memory broker and again on the real Kafka (marker ``real_broker``)."""

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from faststream.kafka import KafkaRouter

from jobline_contracts.invoicing import InvoiceRendered, InvoiceRenderFailed
from jobline_contracts.topics import INVOICING_EVENTS, TopicSpec
from jobline_infra.consuming import (
    ConsumerEdge,
    Received,
    RetryPolicy,
    subscribe,
    subscribe_batches,
)
from jobline_infra.dead_letters import DeadLetters
from jobline_testing.brokers import BrokerMode, BrokerProducer, collect_dead_letters
from jobline_testing.polling import eventually

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[3] / "contracts/examples" / INVOICING_EVENTS.name
RENDERED = (EXAMPLES / "invoice.rendered.v1.json").read_bytes()
FAILED = (EXAMPLES / "invoice.render_failed.v1.json").read_bytes()
RETRY = RetryPolicy(transient=(OSError,), max_crashes=3, max_transient_wait=2.0)


def _unknown_type() -> bytes:
    document = json.loads(RENDERED)
    document["type"] = "invoice.printed"
    return json.dumps(document).encode()


def _foreign_blob() -> bytes:
    document = json.loads(RENDERED)
    document["payload"]["blob_key"] = "invoices/globex/f96f.pdf"
    return json.dumps(document).encode()


def _bad_payload() -> bytes:
    document = json.loads(RENDERED)
    del document["payload"]["sha256"]
    return json.dumps(document).encode()


class Handler:
    """Records what it is handed; ``failures`` are raised first, one per call."""

    def __init__(self, *failures: BaseException, poison: bytes | None = None) -> None:
        self.failures, self.poison = list(failures), poison
        self.handled: list[Received] = []
        self.batches: list[list[Received]] = []
        self.fallbacks: list[BaseException] = []

    async def handle(self, received: Received) -> None:
        if self.failures:
            raise self.failures.pop(0)
        if received.record.value == self.poison:
            raise RuntimeError("cannot handle it")
        self.handled.append(received)

    async def handle_batch(self, batch: Sequence[Received]) -> None:
        if any(one.record.value == self.poison for one in batch):
            raise RuntimeError("a poison record in the batch")
        self.batches.append(list(batch))

    def fell_back(self, error: BaseException, batch: Sequence[Received]) -> None:
        self.fallbacks.append(error)


async def _wire(mode: BrokerMode, handler: Handler, *, batch: bool = False):
    spec: TopicSpec = await mode.topic(INVOICING_EVENTS)
    broker, router = mode.broker(), KafkaRouter()
    edge = ConsumerEdge(
        spec,
        handler.handle,
        DeadLetters(BrokerProducer(broker), "edge-test"),
        RETRY,
        handle_batch=handler.handle_batch if batch else None,
        on_fallback=handler.fell_back,
    )
    options = {"group_id": f"{spec.name}.group", "auto_offset_reset": "earliest"}
    if batch:
        subscribe_batches(router, edge, max_records=10, **options)
    else:
        subscribe(router, edge, **options)
    letters = collect_dead_letters(router, spec)
    broker.include_router(router)
    return spec, broker, letters


async def test_a_record_reaches_the_handler_as_its_typed_envelope(broker_mode: BrokerMode):
    handler = Handler()
    spec, broker, letters = await _wire(broker_mode, handler)
    async with broker_mode.running(broker) as running:
        await running.publish(RENDERED, spec.name, key=b"job-1")
        await running.publish(FAILED, spec.name, key=b"job-1")
        await eventually(_count(lambda: handler.handled, 2), within=30)
    rendered, failed = (one.envelope.payload for one in handler.handled)
    assert isinstance(rendered, InvoiceRendered)
    assert isinstance(failed, InvoiceRenderFailed)
    assert handler.handled[0].record.key == b"job-1"
    assert letters == []


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_undecodable_records_are_dead_lettered_unchanged_with_the_reason(
    broker_mode: BrokerMode,
    batch: bool,  # noqa: FBT001 - a pytest parameter
):
    handler = Handler()
    spec, broker, letters = await _wire(broker_mode, handler, batch=batch)
    poison = {
        b"not json": "not_json",
        _unknown_type(): "unknown_type",
        _bad_payload(): "bad_payload",
        _foreign_blob(): "foreign_blob_key",
    }
    async with broker_mode.running(broker) as running:
        for raw in poison:
            await running.publish(raw, spec.name, key=b"k")
        await running.publish(RENDERED, spec.name, key=b"k")
        await eventually(_count(lambda: letters, 4), within=30)
        await eventually(_count(lambda: handler.handled + _flat(handler.batches), 1), within=30)
    assert {letter.value: letter.headers["x-dlq-kind"] for letter in letters} == poison
    for letter in letters:
        assert letter.key == b"k"
        assert letter.headers["x-dlq-reason"].strip()
        assert letter.headers["x-dlq-consumer"] == "edge-test"
        assert letter.headers["x-original-topic"] == spec.name


async def test_a_record_that_keeps_crashing_the_handler_is_dead_lettered(broker_mode: BrokerMode):
    handler = Handler(poison=FAILED)
    spec, broker, letters = await _wire(broker_mode, handler)
    async with broker_mode.running(broker) as running:
        await running.publish(FAILED, spec.name, key=b"k")
        await running.publish(RENDERED, spec.name, key=b"k")
        await eventually(_count(lambda: letters, 1), within=30)
        await eventually(_count(lambda: handler.handled, 1), within=30)
    [letter] = letters
    assert letter.value == FAILED
    assert letter.headers["x-dlq-kind"] == "handler_error"
    assert letter.headers["x-dlq-reason"] == "RuntimeError: cannot handle it"


async def test_transient_failures_are_retried_until_they_pass(broker_mode: BrokerMode):
    handler = Handler(OSError("database down"), OSError("still down"))
    spec, broker, letters = await _wire(broker_mode, handler)
    async with broker_mode.running(broker) as running:
        await running.publish(RENDERED, spec.name)
        await eventually(_count(lambda: handler.handled, 1), within=30)
    assert letters == []


async def test_past_the_budget_a_transient_failure_leaves_the_record_uncommitted():
    mode = BrokerMode(None)  # on the real broker the record would simply come again
    handler = Handler(*[OSError("down")] * 50)
    spec, broker, letters = await _wire(mode, handler)
    async with mode.running(broker) as running:
        with pytest.raises(OSError, match="down"):
            await running.publish(RENDERED, spec.name)
    assert handler.handled == []
    assert letters == []


async def test_a_batch_is_handled_in_one_go(broker_mode: BrokerMode):
    handler = Handler()
    spec, broker, letters = await _wire(broker_mode, handler, batch=True)
    async with broker_mode.running(broker) as running:
        await running.publish_batch(RENDERED, FAILED, RENDERED, topic=spec.name, partition=0)
        await eventually(_count(lambda: _flat(handler.batches), 3), within=30)
    assert handler.handled == []
    assert handler.fallbacks == []
    assert letters == []


async def test_a_failing_batch_falls_back_to_one_by_one_through_the_hook(broker_mode: BrokerMode):
    handler = Handler(poison=FAILED)
    spec, broker, letters = await _wire(broker_mode, handler, batch=True)
    async with broker_mode.running(broker) as running:
        await running.publish_batch(RENDERED, FAILED, RENDERED, topic=spec.name, partition=0)
        await eventually(_count(lambda: handler.handled + _flat(handler.batches), 2), within=30)
        await eventually(_count(lambda: letters, 1), within=30)
    # (one poll brings all three, unless the real broker splits them over two)
    assert handler.handled or broker_mode.real
    assert {str(error) for error in handler.fallbacks} == {"a poison record in the batch"}
    assert [letter.headers["x-dlq-kind"] for letter in letters] == ["handler_error"]


def _flat(batches: list[list[Received]]) -> list[Received]:
    return [one for batch in batches for one in batch]


def _count(items: Callable[[], Sequence[object]], n: int):
    """A check for ``eventually``: exactly ``n`` items (more fail at once)."""

    async def check() -> bool:
        await asyncio.sleep(0)
        assert len(items()) <= n, items()
        return len(items()) == n

    return check

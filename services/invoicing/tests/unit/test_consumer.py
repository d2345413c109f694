"""The command subscriber's policy: dead letters, retries, and outcomes that commit,
driven through FastStream's in-memory broker and again through the real Kafka."""

import uuid
from collections.abc import Mapping

import pytest
from faststream.kafka import KafkaRouter

from jobline_contracts.topics import INVOICING_COMMANDS
from jobline_infra.dead_letters import DeadLetters
from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.content import PdfFacts
from jobline_invoicing.domain.events import Event, InvoiceRendered
from jobline_invoicing.domain.rendering import Drawn, DrawOutcome
from jobline_invoicing.entrypoints.commands import subscribe
from jobline_invoicing.service_layer.handlers import Services
from jobline_invoicing.service_layer.ports import EventPublisher, InvoiceStore, Renderer
from jobline_testing.brokers import BrokerMode, BrokerProducer, Letter, collect_dead_letters
from jobline_testing.polling import eventually

pytestmark = pytest.mark.unit
NEW_ID = str(uuid.uuid4()).encode()


class FlakyStore(InvoiceStore):
    """Fails ``find`` with the given errors first, then behaves."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.saved: dict[str, bytes] = {}

    async def find(self, key: str) -> PdfFacts | None:
        if self.errors:
            raise self.errors.pop(0)
        return None

    async def save(self, key: str, pdf: bytes, facts: PdfFacts) -> None:
        self.saved[key] = pdf

    async def logo(self, key: str) -> bytes | None:
        return None


class StubRenderer(Renderer):
    template_version = "v-test"

    async def draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        return Drawn(b"%PDF-1.7", 1)


class RecordingEvents(EventPublisher):
    def __init__(self) -> None:
        self.published: list[tuple[Event, Causation]] = []

    async def publish(self, event: Event, causation: Causation) -> None:
        self.published.append((event, causation))


class Wired:
    """The subscriber on a topic of its own, with what it published and dead-lettered."""

    def __init__(self, mode: BrokerMode, store: InvoiceStore, **options: float) -> None:
        self.mode, self.store, self.options = mode, store, options
        self.events = RecordingEvents()
        self.letters: list[Letter] = []

    async def send(self, *raws: bytes, until=None) -> None:
        spec = await self.mode.topic(INVOICING_COMMANDS)
        broker, router = self.mode.broker(), KafkaRouter()
        subscribe(
            router,
            Services(self.store, StubRenderer(), self.events),
            DeadLetters(BrokerProducer(broker), "invoicing"),
            group_id=f"{spec.name}.invoicing",
            auto_offset_reset="earliest",
            concurrency=1,
            spec=spec,
            **self.options,
        )
        self.letters = collect_dead_letters(router, spec)
        broker.include_router(router)
        async with self.mode.running(broker) as running:
            for raw in raws:
                await running.publish(raw, spec.name, key=b"key")
            if until is not None:
                await eventually(until, within=30)


def _done(wired: Wired, events: int = 0, letters: int = 0):
    async def check() -> bool:
        return len(wired.events.published) >= events and len(wired.letters) >= letters

    return check


async def test_a_command_is_rendered_and_its_outcome_published(
    broker_mode: BrokerMode, golden_raw, golden
):
    wired = Wired(broker_mode, FlakyStore())
    await wired.send(golden_raw, until=_done(wired, events=1))
    [(event, cause)] = wired.events.published
    assert isinstance(event, InvoiceRendered)
    assert cause == Causation("acme", golden.message_id, golden.correlation_id)
    assert wired.letters == []


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"not json", "not_json"),
        (b'{"message_id": "x"}', "bad_envelope"),
        (
            b'{"message_id": "%s", "type": "invoice.print", "schema_version": 1, '
            b'"occurred_at": "2025-03-18T21:20:00Z", "tenant_id": "acme", '
            b'"correlation_id": "%s", "payload": {}}' % (NEW_ID, NEW_ID),
            "unknown_type",
        ),
    ],
)
async def test_undecodable_commands_are_dead_lettered(broker_mode: BrokerMode, raw, kind):
    wired = Wired(broker_mode, FlakyStore())
    await wired.send(raw, until=_done(wired, letters=1))
    assert [(letter.value, letter.headers["x-dlq-kind"]) for letter in wired.letters] == [
        (raw, kind)
    ]
    assert wired.letters[0].headers["x-dlq-consumer"] == "invoicing"
    assert wired.events.published == []


async def test_transient_failures_are_retried_until_they_pass(broker_mode: BrokerMode, golden_raw):
    store = FlakyStore(OSError("blob store down"), TimeoutError())
    wired = Wired(broker_mode, store)
    await wired.send(golden_raw, until=_done(wired, events=1))
    assert len(wired.events.published) == 1
    assert len(store.saved) == 1
    assert wired.letters == []


async def test_past_the_retry_budget_a_transient_failure_is_left_for_redelivery(golden_raw):
    # In-memory only: on the real broker the command would simply come again.
    wired = Wired(BrokerMode(None), FlakyStore(*[OSError("down")] * 5), max_transient_wait=0.2)
    with pytest.raises(OSError, match="down"):
        await wired.send(golden_raw)
    assert wired.events.published == []
    assert wired.letters == []


async def test_a_command_that_keeps_crashing_the_handler_is_dead_lettered(
    broker_mode: BrokerMode, golden_raw
):
    wired = Wired(broker_mode, FlakyStore(*[RuntimeError("bug")] * 3))
    await wired.send(golden_raw, until=_done(wired, letters=1))
    [letter] = wired.letters
    assert (letter.headers["x-dlq-kind"], letter.headers["x-dlq-reason"]) == (
        "handler_error",
        "RuntimeError: bug",
    )
    assert wired.events.published == []

"""The command subscriber's policy: dead letters, retries, and outcomes that commit."""

import uuid
from collections.abc import Mapping

import pytest
from aiokafka import ConsumerRecord

from jobline_contracts.topics import INVOICING_COMMANDS
from jobline_infra.dead_letters import DeadLetters
from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.content import PdfFacts
from jobline_invoicing.domain.events import Event, InvoiceRendered
from jobline_invoicing.domain.rendering import Drawn, DrawOutcome
from jobline_invoicing.entrypoints.commands import CommandConsumer
from jobline_invoicing.service_layer.handlers import Services
from jobline_invoicing.service_layer.ports import EventPublisher, InvoiceStore, Renderer

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


class RecordingDeadLetters(DeadLetters):
    def __init__(self) -> None:
        self.sent: list[tuple[ConsumerRecord, str, str]] = []

    async def send(self, record, kind: str, reason: str) -> None:
        self.sent.append((record, kind, reason))


def record(value: bytes) -> ConsumerRecord:
    topic = INVOICING_COMMANDS.name
    return ConsumerRecord(topic, 0, 7, 0, 0, b"key", value, None, 3, len(value), [])


def consumer(store: InvoiceStore, **options):
    events, dead = RecordingEvents(), RecordingDeadLetters()
    services = Services(store, StubRenderer(), events)
    return CommandConsumer(services, dead, **options), events, dead


async def test_a_command_is_rendered_and_its_outcome_published(golden_raw, golden):
    handler, events, dead = consumer(FlakyStore())
    await handler.handle(record(golden_raw))
    [(event, cause)] = events.published
    assert isinstance(event, InvoiceRendered)
    assert cause == Causation("acme", golden.message_id, golden.correlation_id)
    assert dead.sent == []


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
async def test_undecodable_commands_are_dead_lettered(raw, kind):
    handler, events, dead = consumer(FlakyStore())
    await handler.handle(record(raw))
    assert [(r.value, k) for r, k, _ in dead.sent] == [(raw, kind)]
    assert events.published == []


async def test_transient_failures_are_retried_until_they_pass(golden_raw):
    store = FlakyStore(OSError("blob store down"), TimeoutError())
    handler, events, dead = consumer(store)
    await handler.handle(record(golden_raw))
    assert len(events.published) == 1
    assert len(store.saved) == 1
    assert dead.sent == []


async def test_past_the_retry_budget_a_transient_failure_is_left_for_redelivery(golden_raw):
    handler, events, dead = consumer(FlakyStore(*[OSError("down")] * 5), max_transient_wait=0.2)
    with pytest.raises(OSError, match="down"):
        await handler.handle(record(golden_raw))
    assert events.published == []
    assert dead.sent == []


async def test_a_command_that_keeps_crashing_the_handler_is_dead_lettered(golden_raw):
    handler, events, dead = consumer(FlakyStore(*[RuntimeError("bug")] * 3))
    await handler.handle(record(golden_raw))
    [(_, kind, reason)] = dead.sent
    assert (kind, reason) == ("handler_error", "RuntimeError: bug")
    assert events.published == []

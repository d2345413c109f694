"""Events from comms and invoicing name records by id; the bus refuses one naming a record
its tenant does not have (another tenant's, or nobody's) as ``foreign_reference``, and
nothing changes: no status recorded or published, no render outcome kept."""

from uuid import uuid4

import pytest

from jobline_jobs.domain import commands, delivery_outcomes, events
from jobline_jobs.domain.sends import TrackedDelivery
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
SNAPSHOT = "c" * 64


def reported(actor: str, message_type: str) -> Causation:
    message_id = uuid4()
    return Causation(f"jobs.{actor}", message_id, message_type, message_id, T0, actor)


@pytest.fixture
def world() -> World:
    return World(tenants={"acme", "globex"})


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


@pytest.fixture
def delivery(world: World) -> TrackedDelivery:
    found = TrackedDelivery("acme", uuid4(), uuid4(), uuid4(), "J-1", "sms", "Dana", "queued")
    world.deliveries[found.delivery_id] = found
    return found


def status(tenant: str, delivery_id, value: str = "failed") -> commands.RecordDeliveryStatus:
    return commands.RecordDeliveryStatus(tenant, T0, delivery_id, value, "30003", "Unreachable")


def render(tenant: str, job_id) -> commands.RecordInvoiceRender:
    key = f"invoices/{tenant}/{SNAPSHOT}.pdf"
    return commands.RecordInvoiceRender(
        tenant, T0, job_id, SNAPSHOT, rendered=True, blob_key=key, pdf_sha256="d" * 64, pages=1
    )


async def test_a_status_naming_another_tenants_delivery_is_refused_unapplied(world, bus, delivery):
    outcome = await bus.handle(
        status("globex", delivery.delivery_id), reported("comms", "delivery.status_changed")
    )

    assert outcome is Outcome.REJECTED
    [(kind, reason)] = world.rejections
    assert kind == "foreign_reference"
    assert reason == (
        f"an event may name only its own tenant's records: delivery {delivery.delivery_id}"
        " is not this tenant's"
    )
    assert "acme" not in reason  # the stranger learns nothing of whose delivery it is
    assert world.deliveries[delivery.delivery_id].status == "queued"
    assert world.published == []


async def test_a_status_naming_no_delivery_at_all_is_refused_the_same_way(world, bus):
    await bus.handle(status("acme", uuid4()), reported("comms", "delivery.status_changed"))

    assert [kind for kind, _ in world.rejections] == ["foreign_reference"]
    assert world.published == []


async def test_the_tenants_own_status_is_recorded(world, bus, delivery):
    outcome = await bus.handle(
        status("acme", delivery.delivery_id, "delivered"),
        reported("comms", "delivery.status_changed"),
    )

    assert (outcome, world.rejections) == (Outcome.APPLIED, [])
    assert world.deliveries[delivery.delivery_id].status == "delivered"
    assert [type(e) for e in world.published] == [
        events.DeliveryStatusChanged,
        delivery_outcomes.CommunicationOutcome,
    ]


async def test_a_render_outcome_for_a_render_another_tenant_asked_for_is_refused(world, bus):
    job_id = uuid4()
    world.renders_requested.add(("acme", job_id, SNAPSHOT))

    outcome = await bus.handle(render("globex", job_id), reported("invoicing", "invoice.rendered"))

    assert outcome is Outcome.REJECTED
    [(kind, reason)] = world.rejections
    assert kind == "foreign_reference"
    assert reason == (
        "an event may name only its own tenant's records: this tenant asked for no render"
        f" of snapshot {SNAPSHOT} of job {job_id}"
    )
    assert world.renders_recorded == []


async def test_the_tenants_own_render_outcome_is_recorded(world, bus):
    job_id = uuid4()
    world.renders_requested.add(("acme", job_id, SNAPSHOT))

    outcome = await bus.handle(render("acme", job_id), reported("invoicing", "invoice.rendered"))

    assert (outcome, world.rejections) == (Outcome.APPLIED, [])
    assert [r.tenant_id for r in world.renders_recorded] == ["acme"]

"""An email's engagement (issue 20): comms' report of its first open and latest deferral
becomes a command that keeps them on the tenant's own delivery, and nothing more."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from jobline_contracts import comms
from jobline_contracts.envelope import Envelope
from jobline_jobs.domain.email_engagement import RecordEngagement
from jobline_jobs.domain.sends import TrackedDelivery
from jobline_jobs.entrypoints.translate import comms_event_to_command
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
OPENED = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
DEFERRED = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)


def comms_said() -> Causation:
    message_id = uuid4()
    return Causation("comms", message_id, "comms", message_id, T0, "comms")


def test_the_engagement_event_becomes_a_command_to_record_it():
    delivery_id = uuid4()
    payload = comms.DeliveryEngagementChanged(
        delivery_id=delivery_id,
        communication_id=uuid4(),
        opened_at=OPENED,
        deferred_at=DEFERRED,
        deferred_reason="451 4.3.0 try again later",
    )
    envelope = Envelope.wrap(payload, tenant_id="acme", correlation_id=uuid4())
    assert comms_event_to_command(envelope) == RecordEngagement(
        "acme", envelope.occurred_at, delivery_id, OPENED, DEFERRED, "451 4.3.0 try again later"
    )


async def test_the_tenants_delivery_keeps_it_and_nothing_is_published():
    world = World(tenants={"acme"})
    delivery = TrackedDelivery("acme", uuid4(), uuid4(), uuid4(), "J-1", "email", "Dana", "sent")
    world.deliveries[delivery.delivery_id] = delivery
    cmd = RecordEngagement("acme", T0, delivery.delivery_id, OPENED, None, None)
    await MessageBus(world.uow).handle(cmd, comms_said())
    assert world.engagements == [cmd]
    assert world.published == []  # no lifecycle event, no timeline entry: the office reads it
    assert world.deliveries[delivery.delivery_id].status == "sent"


async def test_another_tenants_delivery_is_refused_and_keeps_nothing():
    world = World(tenants={"acme", "globex"})
    delivery = TrackedDelivery("globex", uuid4(), uuid4(), uuid4(), "J-1", "email", "Ana", "sent")
    world.deliveries[delivery.delivery_id] = delivery
    cmd = RecordEngagement("acme", T0, delivery.delivery_id, OPENED, None, None)
    await MessageBus(world.uow).handle(cmd, comms_said())
    assert world.engagements == []
    assert [kind for kind, _ in world.rejections] == ["foreign_reference"]

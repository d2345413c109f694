"""Sends, releases, delivery statuses and render requests: commands through the bus,
with in-memory fakes of the ports. The aggregates record the events; nothing else does."""

from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.communications import Contact, File, StoredFile
from jobline_jobs.domain.errors import Conflict, InvalidRequest, UnknownJob
from jobline_jobs.domain.sends import TrackedDelivery
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation, KeyClaim
from jobs_testing.builders import T0, dispatch_job
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
DANA = Contact(uuid4(), "Dana", "+15555550101", "dana@example.com")
SAM = Contact(uuid4(), "Sam", "+15555550102", None)
PDF = commands.InvoicePdf("INV-000001", "a" * 64, "b" * 64, "invoices/a.pdf", 2048)


def operator(key_claim: KeyClaim | None = None) -> Causation:
    message_id = uuid4()
    return Causation("api", message_id, "api", message_id, T0, "operator:t", key_claim=key_claim)


@pytest.fixture
def world() -> World:
    world = World(tenants={"acme"})
    world.contacts = [DANA, SAM]
    world.now = T0
    return world


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


@pytest.fixture
async def job_id(bus: MessageBus) -> UUID:
    cmd = dispatch_job()
    await bus.handle(cmd, operator())
    return cmd.job_id


def text(job_id: UUID, *to: Contact, **changes: object) -> commands.SendCommunication:
    cmd = commands.SendCommunication(
        "acme",
        T0,
        job_id,
        communication_id=uuid4(),
        channel="sms",
        recipient_ids=tuple(c.contact_id for c in to),
        body="Luis is on his way",
        subject=None,
        attachments=(),
        send_at=T0,
    )
    return replace(cmd, **changes)


def published(world: World, kind: type) -> list:
    return [e for e in world.published if type(e) is kind]


async def test_a_text_due_now_is_requested_and_released_to_every_reachable_recipient(
    world, bus, job_id
):
    world.opted_out = {SAM.phone}
    cmd = text(job_id, DANA, SAM)
    await bus.execute(cmd, operator())
    (requested,) = published(world, events.CommunicationRequested)
    (released,) = published(world, events.DeliveriesReleased)
    assert (requested.recipients, requested.reachable) == (("Dana", "Sam"), 1)
    assert [d.address for d in released.deliveries] == [DANA.phone]
    assert not released.later
    statuses = [d.status for d in world.communications[cmd.communication_id].deliveries]
    assert statuses == ["queued", "opted_out"]


async def test_a_later_text_waits_until_the_scheduler_releases_it_in_its_trace(world, bus, job_id):
    cmd = text(job_id, DANA, send_at=T0 + timedelta(minutes=5))
    await bus.execute(cmd, operator())
    world.communications[cmd.communication_id].traceparent = "00-trace-span-01"
    assert published(world, events.DeliveriesReleased) == []

    release = commands.ReleaseDueCommunications(commands.EVERY_TENANT, T0)
    await bus.execute(release, operator())
    assert published(world, events.DeliveriesReleased) == []  # not yet due
    release = replace(release, occurred_at=T0 + timedelta(minutes=5))
    await bus.execute(release, operator())
    (released,) = published(world, events.DeliveriesReleased)
    assert (released.later, released.traceparent) == (True, "00-trace-span-01")
    assert world.communications[cmd.communication_id].released
    await bus.execute(release, operator())
    assert len(published(world, events.DeliveriesReleased)) == 1  # released once


async def test_a_send_marks_its_idempotency_key_applied_with_its_effect(world, bus, job_id):
    claim = KeyClaim("acme", "key-1", uuid4())
    await bus.execute(text(job_id, DANA), operator(claim))
    assert world.applied_keys == [claim]


async def test_a_send_the_rules_refuse_records_nothing(world, bus, job_id):
    with pytest.raises(InvalidRequest, match="no subject"):
        await bus.execute(text(job_id, DANA, subject="Hello"), operator())
    with pytest.raises(UnknownJob):
        await bus.execute(text(uuid4(), DANA), operator())
    assert world.communications == {}
    assert published(world, events.CommunicationRequested) == []


async def test_a_file_without_a_digest_cannot_be_attached(world, bus, job_id):
    photo = StoredFile(File("finished_photo", uuid4(), 100), "k", "p.jpg", "image/jpeg", None)
    world.files = [photo]
    email = text(
        job_id,
        DANA,
        channel="email",
        subject="Done",
        attachments=(("finished_photo", photo.file.file_id),),
    )
    with pytest.raises(InvalidRequest, match="no digest"):
        await bus.execute(email, operator())


async def test_an_invoice_send_emails_the_pdf_and_is_an_invoice_sent(world, bus, job_id):
    cmd = commands.SendInvoice("acme", T0, job_id, uuid4(), (DANA.contact_id,), None, PDF)
    await bus.execute(cmd, operator())
    (sent,) = published(world, events.InvoiceSent)
    (released,) = published(world, events.DeliveriesReleased)
    assert (sent.invoice_number, sent.pdf_sha256, sent.attachments) == ("INV-000001", "b" * 64, 1)
    assert released.subject == "Invoice INV-000001 from Business of acme"
    assert released.body == (
        "Please find attached invoice INV-000001 for job J-1. Amount due: $100.00."
        "\n\nBusiness of acme"
    )
    assert [(f.filename, f.size_bytes) for f in released.files] == [("INV-000001.pdf", 2048)]
    assert world.communications[cmd.communication_id].invoice == PDF


async def test_a_render_is_requested_once_per_snapshot(world, bus, job_id):
    cmd = commands.RequestInvoiceRender("acme", T0, job_id, "J-1", "c" * 64, {"total": "1.00"})
    await bus.execute(cmd, operator())
    with pytest.raises(Conflict):
        await bus.execute(cmd, operator())
    (requested,) = published(world, events.InvoiceRenderRequested)
    assert (requested.snapshot_sha256, requested.snapshot) == ("c" * 64, {"total": "1.00"})


async def test_a_late_status_never_takes_a_final_one_back(world, bus, job_id):
    delivery = TrackedDelivery("acme", uuid4(), uuid4(), job_id, "J-1", "sms", "Dana", "queued")
    world.deliveries[delivery.delivery_id] = delivery
    for status in ("sent", "delivered", "sent"):
        cmd = commands.RecordDeliveryStatus("acme", T0, delivery.delivery_id, status)
        await bus.handle(cmd, operator())
    changes = published(world, events.DeliveryStatusChanged)
    assert [c.status for c in changes] == ["sent", "delivered"]
    assert world.deliveries[delivery.delivery_id].status == "delivered"


async def test_a_status_of_an_unknown_delivery_is_refused_and_changes_nothing(world, bus):
    cmd = commands.RecordDeliveryStatus("acme", T0, uuid4(), "delivered")
    await bus.handle(cmd, operator())
    assert published(world, events.DeliveryStatusChanged) == []
    assert [kind for kind, _ in world.rejections] == ["foreign_reference"]


async def test_a_canceled_text_is_never_released(world, bus, job_id):
    cmd = text(job_id, DANA, send_at=T0 + timedelta(minutes=5))
    await bus.execute(cmd, operator())
    cancel = commands.CancelCommunication(
        "acme", T0, job_id, communication_id=cmd.communication_id, by="operator:t"
    )
    await bus.execute(cancel, operator())
    (canceled,) = published(world, events.CommunicationCanceled)
    assert (canceled.communication_id, canceled.canceled_by) == (cmd.communication_id, "operator:t")
    release = commands.ReleaseDueCommunications(commands.EVERY_TENANT, T0 + timedelta(hours=1))
    await bus.execute(release, operator())
    assert published(world, events.DeliveriesReleased) == []
    assert [d.status for d in world.communications[cmd.communication_id].deliveries] == ["canceled"]
    with pytest.raises(Conflict, match="canceled already"):
        await bus.execute(cancel, operator())


async def test_a_text_that_has_left_cannot_be_canceled(world, bus, job_id):
    cmd = text(job_id, DANA)
    await bus.execute(cmd, operator())
    cancel = commands.CancelCommunication(
        "acme", T0, job_id, communication_id=cmd.communication_id, by="operator:t"
    )
    with pytest.raises(Conflict, match="already been sent, so it can no longer be canceled"):
        await bus.execute(cancel, operator())
    assert published(world, events.CommunicationCanceled) == []
    with pytest.raises(UnknownJob):
        await bus.execute(replace(cancel, job_id=uuid4()), operator())

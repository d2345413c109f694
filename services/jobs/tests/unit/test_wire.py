"""The one mapper from domain events to what the unit of work writes: timeline entries
and outbox rows (lifecycle events and the commands to the comms and invoicing services)."""

import json
from datetime import timedelta
from uuid import uuid4

import pytest

from jobline_jobs.adapters import wire
from jobline_jobs.adapters.outbox import CausedMessages
from jobline_jobs.domain import events
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0

pytestmark = pytest.mark.unit
JOB, COMMUNICATION = uuid4(), uuid4()
WHY = Causation("api", COMMUNICATION, "api", COMMUNICATION, T0, "operator:t")


def test_a_release_is_one_command_per_delivery_keyed_by_delivery_and_no_timeline_row():
    to = [
        events.Addressee(uuid4(), uuid4(), name, f"+1555555010{n}") for n, name in enumerate("AB")
    ]
    released = events.DeliveriesReleased(
        JOB, "J-1", COMMUNICATION, "sms", None, "Hi", (), tuple(to), later=False, traceparent=None
    )
    entry, rows = wire.written(released, "acme", CausedMessages(WHY))
    assert entry is None
    assert [(r[0], r[1]) for r in rows] == [
        ("comms.commands.v1", str(a.delivery_id).encode()) for a in to
    ]
    envelopes = [json.loads(r[2]) for r in rows]
    assert all(e["correlation_id"] == str(COMMUNICATION) for e in envelopes)


def test_a_send_is_on_the_timeline_under_its_name_and_published_as_a_lifecycle_event():
    sent = events.InvoiceSent(
        JOB, "J-1", COMMUNICATION, "email", ("Dana",), 1, 1, T0, "operator:t", "INV-1", "b" * 64
    )
    entry, rows = wire.written(sent, "acme", CausedMessages(WHY))
    assert entry is not None
    assert (entry.type, json.loads(entry.details)["invoice_number"]) == ("invoice.sent", "INV-1")
    ((topic, key, value, *_),) = rows
    assert (topic, key) == ("jobs.lifecycle.v1", str(JOB).encode())
    envelope = json.loads(value)
    assert envelope["type"] == "job.invoice_sent"
    assert envelope["causation_id"] == envelope["correlation_id"] == str(COMMUNICATION)


def test_a_delivery_status_is_on_the_timeline_at_its_own_time_and_sends_nothing():
    at = T0 + timedelta(minutes=3)
    changed = events.DeliveryStatusChanged(
        JOB, "J-1", uuid4(), COMMUNICATION, "Dana", "sms", "delivered", None, None, at
    )
    entry, rows = wire.written(changed, "acme", CausedMessages(WHY))
    assert entry is not None
    assert (entry.type, entry.at, json.loads(entry.details)["status"]) == (
        "delivery.status_changed",
        at,
        "delivered",
    )
    assert rows == []

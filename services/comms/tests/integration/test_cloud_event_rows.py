"""A delivery's status events go to comms' outbox as CloudEvents: the row's ``ce_id`` and
``ce_time`` are its envelope's ``message_id`` and ``occurred_at`` as written, its shared
headers name the type and comms as source; a dead letter has none."""

import json
import uuid

import pytest

from jobline_comms.domain.commands import Causation, SendSms
from jobline_comms.domain.outcomes import Accepted
from jobline_comms.service_layer.handlers import accept_deliveries, attempt_delivery
from jobline_comms.service_layer.ports import Incoming, Received
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS

pytestmark = pytest.mark.integration


async def test_a_status_event_row_carries_its_cloud_event_attributes(services, comms_pool):
    cmd = SendSms(uuid.uuid4(), uuid.uuid4(), "acme", "+15555550101", "On our way")
    services.sms.outcomes.append(Accepted(f"SM{uuid.uuid4().hex}"))
    causation = Causation(cmd.tenant_id, uuid.uuid4(), uuid.uuid4())
    incoming = Incoming(b"{}", b"key", COMMS_COMMANDS.name, 0, 1)
    await accept_deliveries([Received(cmd, causation, incoming)], services)
    (picked,) = [
        p
        for p in await services.attempts.pick_due(100)
        if p.delivery.delivery_id == cmd.delivery_id
    ]
    await attempt_delivery(picked, services)

    rows = await comms_pool.fetch(
        "SELECT value, headers, ce_id, ce_time, ce_subject FROM comms.outbox"
        " WHERE topic = $1 AND key = $2",
        COMMS_EVENTS.name,
        str(cmd.delivery_id).encode(),
    )
    assert rows
    for row in rows:
        envelope = json.loads(row["value"])
        assert (row["ce_id"], row["ce_time"]) == (envelope["message_id"], envelope["occurred_at"])
        assert row["ce_subject"] is None
        assert json.loads(row["headers"]) == {
            "message-type": "delivery.status_changed",
            "ce_specversion": "1.0",
            "ce_type": "dev.jobline.delivery.status_changed",
            "ce_source": "/jobline/comms",
            "content-type": "application/json",
        }

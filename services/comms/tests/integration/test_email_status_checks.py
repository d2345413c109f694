"""Emails SendGrid took whose events never came are asked about, as texts are; SMTP's
are not (an SMTP server has nothing more to say)."""

import uuid
from dataclasses import dataclass, replace

import pytest

from jobline_comms.domain.commands import Causation, SendEmail
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.model import Channel, DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Outcome
from jobline_comms.service_layer.handlers import (
    accept_deliveries,
    attempt_delivery,
    check_status,
)
from jobline_comms.service_layer.ports import EmailProvider, Incoming, ProviderStatus, Received
from jobline_contracts.topics import COMMS_COMMANDS

pytestmark = pytest.mark.integration
BOUNCE_REASON = "550 5.1.1 The email account that you tried to reach does not exist."


@dataclass
class AskedEmail(EmailProvider):
    """Takes every email with the given id; answers a status check with ``answer``."""

    message_id: str
    answer: ProviderStatus

    async def send(self, email: OutgoingEmail) -> Outcome:
        return Accepted(self.message_id)

    async def status(self, provider_message_id: str) -> ProviderStatus:
        assert provider_message_id == self.message_id
        return self.answer


async def sent_long_ago(services, comms_pool, message_id: str) -> uuid.UUID:
    cmd = SendEmail(uuid.uuid4(), uuid.uuid4(), "acme", "dana@example.com", "Hi", "Body")
    causation = Causation(cmd.tenant_id, uuid.uuid4(), uuid.uuid4())
    incoming = Incoming(b"{}", b"key", COMMS_COMMANDS.name, 0, 1)
    await accept_deliveries([Received(cmd, causation, incoming)], services)
    (picked,) = [
        p
        for p in await services.attempts.pick_due(100)
        if p.delivery.delivery_id == cmd.delivery_id
    ]
    assert await attempt_delivery(picked, services) is DeliveryStatus.SENT
    await comms_pool.execute(
        "UPDATE comms.deliveries SET updated_at = now() - interval '10 minutes'"
        " WHERE delivery_id = $1",
        cmd.delivery_id,
    )
    return cmd.delivery_id


async def due(services, delivery_id):
    checks = await services.reports.due_status_checks(after=60, give_up_after=3600)
    return [c for c in checks if c.delivery_id == delivery_id]


async def test_a_sendgrid_email_whose_events_never_came_is_asked_about_and_settled(
    services, comms_pool
):
    message_id = uuid.uuid4().hex[:22]
    answer = ProviderStatus(DeliveryStatus.BOUNCED, "5.1.1", BOUNCE_REASON)
    services = replace(services, email=AskedEmail(message_id, answer))
    delivery_id = await sent_long_ago(services, comms_pool, message_id)
    (check,) = await due(services, delivery_id)
    assert (check.provider_message_id, check.channel) == (message_id, Channel.EMAIL)
    assert await check_status(check, services) is DeliveryStatus.BOUNCED
    row = await comms_pool.fetchrow(
        "SELECT status, error_code, error_message FROM comms.deliveries WHERE delivery_id = $1",
        delivery_id,
    )
    assert dict(row) == {"status": "bounced", "error_code": "5.1.1", "error_message": BOUNCE_REASON}


async def test_an_smtp_email_is_never_asked_about(services, comms_pool):
    smtp_id = f"<{uuid.uuid4()}@jobline.local>"
    services = replace(services, email=AskedEmail(smtp_id, ProviderStatus(None)))
    delivery_id = await sent_long_ago(services, comms_pool, smtp_id)
    assert await due(services, delivery_id) == []

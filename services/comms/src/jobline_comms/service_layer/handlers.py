"""The handlers: take in commands, attempt a delivery, take in provider reports and replies.

Each loads what it needs through a repository, lets the :class:`Delivery` decide, and
hands the delivery to a unit of work, which writes it and its events.
"""

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from jobline_comms.domain.commands import Causation, Command, SendEmail, SendSms
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.email import File, OutgoingEmail, attachment_problem
from jobline_comms.domain.events import RecipientOptedIn, RecipientOptedOut
from jobline_comms.domain.model import Channel, DeliveryStatus
from jobline_comms.domain.outcomes import Outcome, Refused
from jobline_comms.domain.policy import Backoff
from jobline_comms.domain.replies import OptChange, classify_reply
from jobline_comms.domain.senders import Senders
from jobline_comms.service_layer.byte_budget import ByteBudget
from jobline_comms.service_layer.ports import (
    Acceptance,
    Admission,
    Attempts,
    Blobs,
    EmailProvider,
    OptOuts,
    Picked,
    RateLimiter,
    Received,
    Reports,
    SmsProvider,
    StatusCheck,
)
from jobline_comms.service_layer.reply_ports import ReplyServices
from jobline_comms.service_layer.unit_of_work import Changes, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What the handlers work with (real adapters in bootstrap, fakes in unit tests)."""

    unit_of_work: Callable[[], UnitOfWork]
    changes: Changes
    attempts: Attempts
    reports: Reports
    opt_outs: OptOuts
    sms: SmsProvider
    email: EmailProvider
    blobs: Blobs
    limiter: RateLimiter
    senders: Senders
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    jitter: Callable[[], float] = random.random
    # Attachment bytes a worker holds at once (the setting ATTACHMENT_BUDGET_BYTES).
    attachment_budget: ByteBudget = field(default_factory=lambda: ByteBudget(96 * 1024 * 1024))
    replies: ReplyServices | None = None  # issue 20: replies filed under jobs


def sender_of(cmd: Command, senders: Senders) -> str:
    if isinstance(cmd, SendSms):
        return senders.sms_for(cmd.tenant_id)
    return senders.email_for(cmd.tenant_id)


async def accept_deliveries(batch: Sequence[Received], services: Services) -> list[Admission]:
    """Take in decoded commands, in one unit of work: each new delivery is queued, due now
    (sending happens in the dispatcher, so a slow provider never holds up the partition);
    one already taken in decides what a redelivered command means, never calling again.
    A command naming another tenant's delivery changes nothing (not even its deduplication
    record) and is answered ``FOREIGN``, for the caller to dead-letter."""
    accepted = [
        Acceptance(r.cmd, sender_of(r.cmd, services.senders), r.causation, r.incoming)
        for r in batch
    ]
    async with services.unit_of_work() as uow:
        admissions = await uow.intake.add(accepted)
        again = [a for a, n in zip(accepted, admissions, strict=True) if n is Admission.KNOWN]
        known = await uow.intake.known([a.cmd.delivery_id for a in again])
        foreign = {id(a) for a in again if not known[a.cmd.delivery_id].is_of(a.cmd.tenant_id)}
        await uow.intake.forget(
            [m for a in again if id(a) in foreign and (m := a.causation.message_id) is not None]
        )
        for a in again:
            if id(a) not in foreign:
                known[a.cmd.delivery_id].redeliver()
        for delivery in known.values():
            uow.save(delivery)
        await uow.commit()
    return [
        Admission.FOREIGN if id(a) in foreign else n
        for a, n in zip(accepted, admissions, strict=True)
    ]


async def attempt_delivery(picked: Picked, services: Services) -> DeliveryStatus | None:
    """One attempt: refuse opted-out numbers, wait for the sender's turn, claim, call
    the provider once, record the outcome. None if another worker took the delivery."""
    delivery, cmd = picked.delivery, picked.command
    if isinstance(cmd, SendSms):
        if await services.opt_outs.is_opted_out(cmd.tenant_id, cmd.to):
            return await _refuse(delivery, DeliveryStatus.OPTED_OUT, "opted_out", "STOP", services)
        sender = services.senders.sms_for(cmd.tenant_id)
        await services.limiter.wait_turn(sender)
        return await _call_once(delivery, services, lambda: _send_sms(cmd, sender, services))
    # Held from before the files are fetched until the call is over: their bytes are
    # in memory all that time.
    async with services.attachment_budget.holding(sum(a.size_bytes for a in cmd.attachments)):
        return await _send_email(delivery, cmd, services)


async def _send_email(
    delivery: Delivery, cmd: SendEmail, services: Services
) -> DeliveryStatus | None:
    files = await _attachments(cmd, services.blobs)
    if isinstance(files, str):
        return await _refuse(delivery, DeliveryStatus.FAILED, "attachment_invalid", files, services)
    # issue 20: where replies come in, they go to the tenant's reply address.
    inbox = services.replies.reply_address(cmd.tenant_id) if services.replies else None
    email = OutgoingEmail(
        cmd.delivery_id,
        services.senders.email_from(cmd.tenant_id, cmd.from_name, cmd.reply_to),
        cmd.to,
        cmd.to_name,
        cmd.subject,
        cmd.body_text,
        files,
        reply_to=inbox or cmd.reply_to,
        tenant_id=cmd.tenant_id,
    )
    return await _call_once(delivery, services, lambda: services.email.send(email))


async def _refuse(
    delivery: Delivery, status: DeliveryStatus, code: str, why: str, services: Services
) -> DeliveryStatus:
    delivery.refuse(status, code, why)
    await services.changes.save(delivery)
    return status


async def _send_sms(cmd: SendSms, sender: str, services: Services) -> Outcome:
    outcome = await services.sms.send(cmd.delivery_id, cmd.to, sender, cmd.body)
    if isinstance(outcome, Refused) and outcome.status is DeliveryStatus.OPTED_OUT:
        # The carrier knows of a STOP we never saw: remember it, so the next send is
        # refused here without another provider call.
        await change_opt(
            cmd.tenant_id, cmd.to, OptChange(opted_out=True, keyword=outcome.code), services
        )
    return outcome


async def _call_once(
    delivery: Delivery, services: Services, call: Callable[[], Awaitable[Outcome]]
) -> DeliveryStatus | None:
    delivery.claim()
    if not await services.attempts.claim(delivery):
        return None  # the lease moved to another worker; it owns the attempt now
    outcome = await call()
    delivery.settle(outcome, services.max_attempts, services.backoff, services.jitter())
    if delivery.status is DeliveryStatus.QUEUED:
        log.warning("delivery %s attempt %d: %s", delivery.delivery_id, delivery.attempts, outcome)
    await services.changes.save(delivery)
    return delivery.status


async def _attachments(cmd: SendEmail, blobs: Blobs) -> tuple[File, ...] | str:
    files = []
    for ref in cmd.attachments:
        try:
            data = await blobs.get(ref.blob_key)
        except FileNotFoundError:
            return f"{ref.filename}: no stored file at {ref.blob_key}"
        problem = attachment_problem(ref, data)
        if problem:
            return problem
        files.append(File(ref.filename, ref.content_type, data))
    return tuple(files)


async def expire_claims(services: Services) -> int:
    """Claims older than a provider call may take: the worker died mid-call. Their
    outcome is unknown; they wait for a status callback or an operator, never a resend."""
    async with services.unit_of_work() as uow:
        expired = await uow.deliveries.expired_claims()
        for delivery in expired:
            delivery.expire_claim()
            uow.save(delivery)
        await uow.commit()
    return len(expired)


async def record_provider_status(
    delivery_id: UUID | None,
    provider_message_id: str,
    status: DeliveryStatus,
    error_code: str | None,
    services: Services,
    *,
    error_message: str | None = None,
) -> bool:
    """A status report (a callback, an email event, or a status check's answer): the
    delivery moves forward, never back, and says so. False if none matches or it is
    already further."""
    delivery = await services.reports.find(delivery_id, provider_message_id)
    if delivery is None or not delivery.record_status(
        status, provider_message_id, error_code, error_message
    ):
        return False
    return await services.changes.save(delivery)


async def check_status(check: StatusCheck, services: Services) -> DeliveryStatus | None:
    """Ask the provider about a text (or email) whose final status never came (its
    callback or event was lost) and record the answer as if the callback had brought it.
    The status it moved to, or None if the provider has nothing newer. Never sends."""
    provider = services.sms if check.channel is Channel.SMS else services.email
    answer = await provider.status(check.provider_message_id)
    if answer.status is None:
        return None
    moved = await record_provider_status(
        check.delivery_id,
        check.provider_message_id,
        answer.status,
        answer.error_code,
        services,
        error_message=answer.error_message,
    )
    return answer.status if moved else None


async def change_opt(tenant_id: str, phone: str, change: OptChange, services: Services) -> bool:
    """Record an opt-out/in; an event only when it changed anything (a first-ever START
    changes nothing)."""
    async with services.unit_of_work() as uow:
        if not await uow.opt_outs.change(tenant_id, phone, change):
            return False
        kind = RecipientOptedOut if change.opted_out else RecipientOptedIn
        uow.record(kind(phone, change.keyword), Causation(tenant_id, None, None))
        await uow.commit()
    return True


async def record_reply(
    message_sid: str, phone: str, number: str, body: str, services: Services
) -> list[str]:
    """An inbound text to one of our numbers. STOP/START words opt the phone out/in for
    every tenant that texts from ``number``; returns the tenants whose status changed.

    Applied once per message: a replayed START (signed, but sent before a later STOP)
    must not opt the phone back in, and the provider's retry changes nothing either."""
    change = classify_reply(body)
    if change is None:
        return []
    tenants = set(services.senders.tenants_of_number(number))
    tenants |= set(await services.opt_outs.tenants_texting(number, phone))
    kind = RecipientOptedOut if change.opted_out else RecipientOptedIn
    async with services.unit_of_work() as uow:
        if not await uow.opt_outs.first_reply(message_sid):
            log.info("reply %s seen before: ignored", message_sid)
            return []
        changed = [t for t in sorted(tenants) if await uow.opt_outs.change(t, phone, change)]
        for tenant_id in changed:
            uow.record(kind(phone, change.keyword), Causation(tenant_id, None, None))
        await uow.commit()
    log.info("reply %s from %s to %s: changed %s", change.keyword, phone, number, changed)
    return changed

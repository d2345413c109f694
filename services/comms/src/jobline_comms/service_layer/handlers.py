"""The handlers: accept a command, attempt a delivery, take in provider reports."""

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from jobline_comms.domain.commands import Causation, Command, SendEmail, SendSms
from jobline_comms.domain.email import File, OutgoingEmail, attachment_problem
from jobline_comms.domain.model import State
from jobline_comms.domain.outcomes import Outcome, Refused
from jobline_comms.domain.policy import Backoff, Decision, decide
from jobline_comms.domain.replies import OptChange, classify_reply
from jobline_comms.domain.senders import Senders
from jobline_comms.service_layer.ports import (
    Acceptance,
    Admission,
    Blobs,
    Due,
    EmailProvider,
    Incoming,
    Ledger,
    RateLimiter,
    SmsProvider,
    StatusCheck,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What the handlers work with (real adapters in bootstrap, fakes in unit tests)."""

    ledger: Ledger
    sms: SmsProvider
    email: EmailProvider
    blobs: Blobs
    limiter: RateLimiter
    senders: Senders
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    jitter: Callable[[], float] = random.random


def sender_of(cmd: Command, senders: Senders) -> str:
    if isinstance(cmd, SendSms):
        return senders.sms_for(cmd.tenant_id)
    return senders.email_for(cmd.tenant_id)


async def accept_delivery(
    cmd: Command, causation: Causation, incoming: Incoming, services: Services
) -> Admission:
    """Put the delivery in the ledger, due now. Sending happens in the dispatcher, so a
    slow or failing provider never holds up the partition the command came from."""
    return await services.ledger.accept(cmd, sender_of(cmd, services.senders), causation, incoming)


async def accept_deliveries(
    batch: Sequence[tuple[Command, Causation, Incoming]], services: Services
) -> list[Admission]:
    """:func:`accept_delivery` for a batch of commands at once (one ledger transaction)."""
    return await services.ledger.accept_many(
        [
            Acceptance(cmd, sender_of(cmd, services.senders), causation, incoming)
            for cmd, causation, incoming in batch
        ]
    )


async def attempt_delivery(cmd: Command, due: Due, services: Services) -> State | None:
    """One attempt: refuse opted-out numbers, wait for the sender's turn, claim, call
    the provider once, record the outcome. None if another worker took the delivery."""
    if isinstance(cmd, SendSms):
        if await services.ledger.is_opted_out(cmd.tenant_id, cmd.to):
            refused = Decision(State.OPTED_OUT, error_code="opted_out", error_message="STOP")
            await services.ledger.settle(cmd.delivery_id, refused)
            return State.OPTED_OUT
        sender = services.senders.sms_for(cmd.tenant_id)
        await services.limiter.wait_turn(sender)
        return await _call_once(cmd, due, services, lambda: _send_sms(cmd, sender, services))
    files = await _attachments(cmd, services.blobs)
    if isinstance(files, str):
        bad = Decision(State.FAILED, error_code="attachment_invalid", error_message=files)
        await services.ledger.settle(cmd.delivery_id, bad)
        return State.FAILED
    email = OutgoingEmail(
        cmd.delivery_id,
        services.senders.email_for(cmd.tenant_id),
        cmd.to,
        cmd.to_name,
        cmd.subject,
        cmd.body_text,
        files,
    )
    return await _call_once(cmd, due, services, lambda: services.email.send(email))


async def _send_sms(cmd: SendSms, sender: str, services: Services) -> Outcome:
    outcome = await services.sms.send(cmd.delivery_id, cmd.to, sender, cmd.body)
    if isinstance(outcome, Refused) and outcome.state is State.OPTED_OUT:
        # The carrier knows of a STOP we never saw: remember it, so the next send is
        # refused here without another provider call.
        await services.ledger.set_opt(
            cmd.tenant_id, cmd.to, OptChange(opted_out=True, keyword=outcome.code)
        )
    return outcome


async def _call_once(
    cmd: Command, due: Due, services: Services, call: Callable[[], Awaitable[Outcome]]
) -> State | None:
    attempts = await services.ledger.claim(due)
    if attempts is None:
        return None  # the lease moved to another worker; it owns the attempt now
    outcome = await call()
    decision = decide(outcome, attempts, services.max_attempts, services.backoff, services.jitter())
    if decision.state is State.QUEUED:
        log.warning("delivery %s attempt %d: %s", cmd.delivery_id, attempts, outcome)
    await services.ledger.settle(cmd.delivery_id, decision)
    return decision.state


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


async def record_provider_status(
    delivery_id: UUID | None,
    provider_message_id: str,
    state: State,
    error_code: str | None,
    services: Services,
) -> bool:
    """A status callback: move the delivery forward (never back) and report it."""
    return await services.ledger.report(delivery_id, provider_message_id, state, error_code)


async def check_status(check: StatusCheck, services: Services) -> State | None:
    """Ask the provider about a text whose final status never came (its callback was
    lost) and record the answer as if the callback had brought it. The state it moved
    to, or None if the provider has nothing newer. Never sends anything."""
    status = await services.sms.status(check.provider_message_id)
    if status.state is None:
        return None
    moved = await services.ledger.report(
        check.delivery_id, check.provider_message_id, status.state, status.error_code
    )
    return status.state if moved else None


async def record_reply(phone: str, number: str, body: str, services: Services) -> list[str]:
    """An inbound text to one of our numbers. STOP/START words opt the phone out/in for
    every tenant that texts from ``number``; returns the tenants whose state changed."""
    change = classify_reply(body)
    if change is None:
        return []
    tenants = set(services.senders.tenants_of_number(number))
    tenants |= set(await services.ledger.tenants_texting(number, phone))
    changed = [t for t in sorted(tenants) if await services.ledger.set_opt(t, phone, change)]
    log.info("reply %s from %s to %s: changed %s", change.keyword, phone, number, changed)
    return changed

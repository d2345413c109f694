"""The ``Delivery`` aggregate: one message to one recipient, which the provider is
asked to send at most once.

It decides each move (claim before the call, settle from the call's outcome, take a
provider's status report, answer a redelivered command) and records the events the
move causes; a unit of work writes its new status and maps the events to the outbox.
Other processes change deliveries too (status callbacks, other workers), so the copy
held here may be behind the stored one: :meth:`Delivery.overwrites` says over which
stored statuses its change may be written, and a write that finds another is dropped
with its events. Statuses never go backwards.
"""

from dataclasses import dataclass, field
from uuid import UUID

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.events import DeliveryDeadLettered, DeliveryStatusChanged, Event
from jobline_comms.domain.model import (
    PAST_CLAIM,
    Channel,
    DeliveryStatus,
    advances,
    statuses_before,
)
from jobline_comms.domain.outcomes import Outcome
from jobline_comms.domain.policy import Backoff, decide

QUEUED, CLAIMED, UNKNOWN = DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED, DeliveryStatus.UNKNOWN


def overwritten_by(status: DeliveryStatus, stored: DeliveryStatus) -> frozenset[DeliveryStatus]:
    """The stored statuses a change from ``stored`` to ``status`` may be written over: a
    claim only a queued delivery (under its lease), a retry only its own claim, anything
    else only a status before its own."""
    if status is CLAIMED and stored is QUEUED:
        return frozenset({QUEUED})
    if status is QUEUED:
        return frozenset({CLAIMED})
    return statuses_before(status)


# A command names a delivery by id; the id is only as trustworthy as whoever wrote the
# command. Another tenant's delivery is never redelivered, republished or touched.
FOREIGN_DELIVERY = "a command may name only deliveries of its own tenant"


def foreign_reason(delivery_id: UUID) -> str:
    """Why a command naming another tenant's delivery is refused (naming no tenant)."""
    return f"{FOREIGN_DELIVERY}: delivery {delivery_id} is another tenant's"


class NotAllowed(Exception):
    """A move the delivery's status does not allow (a bug in the caller, not an outcome)."""


@dataclass(eq=False)
class Delivery:
    delivery_id: UUID
    communication_id: UUID
    tenant_id: str
    channel: Channel
    causation: Causation  # the command it came in, named by every event about it
    status: DeliveryStatus = QUEUED
    attempts: int = 0
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    lease: UUID | None = None  # the pick this copy is held under; only it may claim
    claim_expired: bool = False  # when loaded: claimed for longer than a call may take
    retry_in: float | None = None  # seconds until the next attempt, once queued again
    events: list[Event] = field(default_factory=list)
    stored_status: DeliveryStatus = field(init=False)  # as loaded, or as last written

    def __post_init__(self) -> None:
        self.stored_status = self.status

    @property
    def changed(self) -> bool:
        return self.status is not self.stored_status

    def stored(self) -> None:
        """This copy was written (its events with it): it is now the stored one."""
        self.stored_status, self.retry_in = self.status, None
        self.events.clear()

    def claim(self) -> None:
        """The promise, committed before the provider is called, that this attempt calls
        (and no other ever does)."""
        if self.status is not QUEUED or self.lease is None:
            raise NotAllowed(f"claim of a {self.status} delivery (lease {self.lease})")
        self.status, self.attempts = CLAIMED, self.attempts + 1

    def refuse(self, status: DeliveryStatus, code: str, message: str) -> None:
        """Ended before any call (an opted-out number, an attachment that does not match)."""
        if self.status is not QUEUED:
            raise NotAllowed(f"refusal of a {self.status} delivery")
        self._move(status, None, code, message)

    def settle(self, outcome: Outcome, max_attempts: int, backoff: Backoff, jitter: float) -> None:
        """The outcome of this attempt's call: sent, ended, unknown, or queued again after
        a backoff; past ``max_attempts`` failed and its command dead-lettered."""
        if self.status is not CLAIMED:
            raise NotAllowed(f"settling a {self.status} delivery")
        decision = decide(outcome, self.attempts, max_attempts, backoff, jitter)
        if decision.status is QUEUED:
            self.status, self.retry_in = QUEUED, decision.retry_in
            self.error_code, self.error_message = decision.error_code, decision.error_message
            return
        sid = decision.provider_message_id or self.provider_message_id
        self._move(decision.status, sid, decision.error_code, decision.error_message)
        if decision.dead_letter:
            self.events.append(DeliveryDeadLettered(self.delivery_id, decision.error_message or ""))

    def record_status(
        self,
        status: DeliveryStatus,
        provider_message_id: str,
        error_code: str | None,
        error_message: str | None = None,
    ) -> bool:
        """A provider's status report (a callback, or the answer to a status check); only
        ever forward. False if the delivery is already as far or further. The provider's
        own words (a bounce's reason) are kept when the report carries them."""
        if not advances(self.status, status):
            return False
        message = error_message or (
            f"provider reported {status.value}" if error_code else self.error_message
        )
        self._move(
            status,
            self.provider_message_id or provider_message_id or None,
            error_code or self.error_code,
            message,
        )
        return True

    def expire_claim(self) -> None:
        """Its worker stopped during the provider call: the outcome is unknown. It is
        reconciled by a status callback or an operator, never by calling again."""
        if self.status is not CLAIMED:
            raise NotAllowed(f"expiring the claim of a {self.status} delivery")
        self._move(UNKNOWN, None, "unknown", "the worker stopped during the provider call")

    def redeliver(self) -> None:
        """Another command for this delivery (a republish upstream): it never calls again.
        Past its claim, what is known is published again; a claim older than a call may
        take is expired; a queued delivery or a claim in flight just carries on."""
        if self.status is CLAIMED and self.claim_expired:
            self.expire_claim()
        elif self.status in PAST_CLAIM:
            self.events.append(self._status_changed())

    def is_of(self, tenant_id: str) -> bool:
        """Whether a command from ``tenant_id`` may name this delivery."""
        return self.tenant_id == tenant_id

    def overwrites(self) -> frozenset[DeliveryStatus]:
        """The stored statuses this copy's change may be written over."""
        return overwritten_by(self.status, self.stored_status)

    def _move(
        self,
        status: DeliveryStatus,
        provider_message_id: str | None,
        error_code: str | None,
        error_message: str | None,
    ) -> None:
        self.status, self.provider_message_id = status, provider_message_id
        self.error_code, self.error_message = error_code, error_message
        self.events.append(self._status_changed())

    def _status_changed(self) -> DeliveryStatusChanged:
        return DeliveryStatusChanged(
            self.delivery_id,
            self.communication_id,
            self.channel,
            self.status,
            self.provider_message_id,
            self.error_code,
            self.error_message,
        )

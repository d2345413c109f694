"""Deciding what an outcome means for a delivery: its new status, a retry, a dead letter."""

from dataclasses import dataclass

from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Ambiguous, Outcome, Refused, Transient


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: ``base`` · 2^(attempt-1), capped at ``cap``."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds before the next attempt; ``jitter`` in [0, 1) spreads it over ±50 %."""
        plain = min(self.base * 2.0 ** max(attempt - 1, 0), self.cap)
        return plain * (0.5 + jitter)


@dataclass(frozen=True)
class Decision:
    status: DeliveryStatus
    retry_in: float | None = None  # seconds, when queued again
    dead_letter: bool = False
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def decide(
    outcome: Outcome, attempts: int, max_attempts: int, backoff: Backoff, jitter: float
) -> Decision:
    """The change ``outcome`` makes to a delivery on its attempt number ``attempts`` (from 1)."""
    if isinstance(outcome, Accepted):
        return Decision(DeliveryStatus.SENT, provider_message_id=outcome.provider_message_id)
    if isinstance(outcome, Refused):
        return Decision(outcome.status, error_code=outcome.code, error_message=outcome.message)
    if isinstance(outcome, Ambiguous):
        return Decision(DeliveryStatus.UNKNOWN, error_code="unknown", error_message=outcome.message)
    if isinstance(outcome, Transient) and attempts >= max_attempts:
        reason = f"gave up after {attempts} attempts: {outcome.code} {outcome.message}"
        return Decision(
            DeliveryStatus.FAILED, dead_letter=True, error_code=outcome.code, error_message=reason
        )
    return Decision(
        DeliveryStatus.QUEUED,
        retry_in=backoff.delay(attempts, jitter),
        error_code=outcome.code,
        error_message=outcome.message,
    )

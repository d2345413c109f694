"""Deciding what an outcome means for a delivery: its new state, a retry, a dead letter."""

from dataclasses import dataclass

from jobline_comms.domain.model import PAST_CLAIM, State
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
    state: State
    retry_in: float | None = None  # seconds, when state is queued again
    dead_letter: bool = False
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def decide(
    outcome: Outcome, attempts: int, max_attempts: int, backoff: Backoff, jitter: float
) -> Decision:
    """The ledger change for ``outcome`` of attempt number ``attempts`` (1-based)."""
    if isinstance(outcome, Accepted):
        return Decision(State.SENT, provider_message_id=outcome.provider_message_id)
    if isinstance(outcome, Refused):
        return Decision(outcome.state, error_code=outcome.code, error_message=outcome.message)
    if isinstance(outcome, Ambiguous):
        return Decision(State.UNKNOWN, error_code="unknown", error_message=outcome.message)
    if isinstance(outcome, Transient) and attempts >= max_attempts:
        reason = f"gave up after {attempts} attempts: {outcome.code} {outcome.message}"
        return Decision(
            State.FAILED, dead_letter=True, error_code=outcome.code, error_message=reason
        )
    return Decision(
        State.QUEUED,
        retry_in=backoff.delay(attempts, jitter),
        error_code=outcome.code,
        error_message=outcome.message,
    )


def on_redelivery(state: State, *, claim_is_stale: bool) -> State | None:
    """A command arrived again for a delivery the ledger holds in ``state``.

    Returns the state to (re)publish, or None to do nothing: a queued delivery waits
    for its attempt; a fresh claim is in flight elsewhere; a stale claim means a worker
    died mid-call, so the outcome is unknown. Nothing here ever calls the provider.
    """
    if state in PAST_CLAIM:
        return state
    if state is State.CLAIMED and claim_is_stale:
        return State.UNKNOWN
    return None

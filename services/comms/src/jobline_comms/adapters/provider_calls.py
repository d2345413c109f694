"""One provider call as every channel adapter makes it: a client span and its duration in
``PROVIDER_CALLS``, labelled by the outcome's kind (accepted, refused, retry, unknown)."""

from collections.abc import Awaitable
from uuid import UUID

from opentelemetry.trace import SpanKind

from jobline_comms.domain.outcomes import Outcome
from jobline_infra.observability import tracing
from jobline_infra.observability.metrics import PROVIDER_CALLS, Stopwatch


async def timed_call(
    provider: str, operation: str, delivery_id: UUID, call: Awaitable[Outcome]
) -> Outcome:
    """Await ``call`` inside a ``<provider> <operation>`` client span, timed."""
    with (
        Stopwatch() as watch,
        tracing.span(f"{provider} {operation}", SpanKind.CLIENT, delivery_id=str(delivery_id)),
    ):
        outcome = await call
    PROVIDER_CALLS.labels(provider, type(outcome).__name__.lower()).observe(watch.seconds)
    return outcome

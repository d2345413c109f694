"""What an email's recipient did with it beyond its status (issue 20): when it was first
opened, and its latest deferral with the receiving server's reason. Pure.

Kept beside the delivery's status, which keeps its meaning (an ``open`` still moves the
status to ``delivered`` through the status path). Merging is order-free: the earliest
open and the latest deferral (at one instant, the greater reason) win, so duplicates and
events out of order end the same, and only a merge that changes something is recorded.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

OPENED = frozenset({"open", "click"})  # a click proves an open its pixel may have missed
DEFERRED = "deferred"
DEFERRED_WITHOUT_REASON = "deferred by the receiving server"


@dataclass(frozen=True)
class Engagement:
    opened_at: datetime | None = None
    deferred_at: datetime | None = None
    deferred_reason: str | None = None

    def merged(self, other: "Engagement") -> "Engagement":
        """This engagement with ``other``'s news: the earliest open, the latest deferral."""
        merged = self
        if other.opened_at is not None and (
            merged.opened_at is None or other.opened_at < merged.opened_at
        ):
            merged = replace(merged, opened_at=other.opened_at)
        if other.deferred_at is not None and _later(other, merged):
            merged = replace(
                merged, deferred_at=other.deferred_at, deferred_reason=other.deferred_reason
            )
        return merged


def _later(news: Engagement, known: Engagement) -> bool:
    if known.deferred_at is None:
        return True
    assert news.deferred_at is not None  # noqa: S101 - checked by the caller
    return (news.deferred_at, news.deferred_reason or "") > (
        known.deferred_at,
        known.deferred_reason or "",
    )


def engagement_of(event: str, at: datetime, reason: str | None) -> Engagement | None:
    """What an email event named ``event`` at ``at`` says of engagement, or None."""
    if event in OPENED:
        return Engagement(opened_at=at)
    if event == DEFERRED:
        return Engagement(deferred_at=at, deferred_reason=reason or DEFERRED_WITHOUT_REASON)
    return None


@dataclass(frozen=True)
class DeliveryEngagementChanged:
    """An email's engagement changed (recorded only then): the whole of it as it stands."""

    delivery_id: UUID
    communication_id: UUID
    engagement: Engagement

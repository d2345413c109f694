"""Where a delivery stands, and which way it may move."""

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    """The status of one delivery (the contracts' ``DeliveryStatus``, plus ``claimed``).

    ``queued``: accepted, waiting for its (next) attempt. ``claimed``: an attempt is about
    to call, or is calling, the provider. ``unknown``: a call was made and its outcome was
    lost (a crash or a timeout mid-call); it is reconciled, never resent automatically.
    """

    QUEUED = "queued"
    CLAIMED = "claimed"
    UNKNOWN = "unknown"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"


FINAL = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.OPTED_OUT,
    }
)

# How far along each status is. Provider reports arrive out of order (``delivered``
# before ``sent``, a callback before the create call returned), so a report only ever
# moves a delivery forward.
_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.CLAIMED: 1,
    DeliveryStatus.UNKNOWN: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.BOUNCED: 4,
    DeliveryStatus.OPTED_OUT: 4,
}


def statuses_before(new: DeliveryStatus) -> frozenset[DeliveryStatus]:
    """The statuses from which a delivery may move to ``new``."""
    return frozenset(s for s, rank in _RANK.items() if rank < _RANK[new])


def advances(current: DeliveryStatus, new: DeliveryStatus) -> bool:
    """True if moving from ``current`` to ``new`` is progress."""
    return _RANK[new] > _RANK[current]


# Once a call may have reached the provider, the outcome is what the delivery says.
PAST_CLAIM = frozenset({DeliveryStatus.UNKNOWN, DeliveryStatus.SENT}) | FINAL

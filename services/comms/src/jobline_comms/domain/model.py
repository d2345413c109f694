"""Where a delivery stands, and which way it may move."""

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class State(StrEnum):
    """The ledger state of one delivery.

    ``queued``: accepted, waiting for its (next) attempt. ``claimed``: an attempt is about
    to call, or is calling, the provider. ``unknown``: a call was made and its outcome was
    lost (a crash or a timeout mid-call); it is never resent automatically.
    """

    QUEUED = "queued"
    CLAIMED = "claimed"
    UNKNOWN = "unknown"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"


FINAL = frozenset({State.DELIVERED, State.FAILED, State.BOUNCED, State.OPTED_OUT})

# How far along each state is. Provider reports arrive out of order (``delivered``
# before ``sent``, a callback before the create call returned), so a report only ever
# moves a delivery forward.
_RANK = {
    State.QUEUED: 0,
    State.CLAIMED: 1,
    State.UNKNOWN: 2,
    State.SENT: 3,
    State.DELIVERED: 4,
    State.FAILED: 4,
    State.BOUNCED: 4,
    State.OPTED_OUT: 4,
}


def states_before(new: State) -> list[State]:
    """The states from which a delivery may move to ``new``."""
    return [s for s, rank in _RANK.items() if rank < _RANK[new]]


def advances(current: State, new: State) -> bool:
    """True if moving from ``current`` to ``new`` is progress."""
    return _RANK[new] > _RANK[current]


# Once a call may have reached the provider, the outcome is what the ledger says.
PAST_CLAIM = frozenset({State.UNKNOWN, State.SENT}) | FINAL

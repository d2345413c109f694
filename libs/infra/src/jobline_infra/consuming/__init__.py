"""The one consumer edge of the Jobline services: decode once, retry by one policy,
dead-letter in one place, as typed FastStream subscribers (see ``edge``)."""

from jobline_infra.consuming.decoding import TopicDecoder
from jobline_infra.consuming.edge import (
    ConsumerEdge,
    Fallback,
    Inbound,
    Received,
    Refused,
    RetryPolicy,
    applied_one_by_one,
)
from jobline_infra.consuming.subscribing import OffsetReset, subscribe, subscribe_batches

__all__ = [
    "ConsumerEdge",
    "Fallback",
    "Inbound",
    "OffsetReset",
    "Received",
    "Refused",
    "RetryPolicy",
    "TopicDecoder",
    "applied_one_by_one",
    "subscribe",
    "subscribe_batches",
]

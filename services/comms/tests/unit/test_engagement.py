"""An email's engagement (issue 20): what opens and deferrals record, merged order-free,
and what they publish."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import permutations

import pytest

from jobline_comms.adapters.outbox import key_of, to_wire
from jobline_comms.domain.email_events import parse_event
from jobline_comms.domain.engagement import (
    DEFERRED_WITHOUT_REASON,
    DeliveryEngagementChanged,
    Engagement,
    engagement_of,
)
from jobline_contracts import comms as wire

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("kind", "reason", "engagement"),
    [
        ("open", None, Engagement(opened_at=T0)),
        ("click", None, Engagement(opened_at=T0)),  # a click is an open the pixel missed
        ("deferred", "451 try later", Engagement(deferred_at=T0, deferred_reason="451 try later")),
        ("deferred", None, Engagement(deferred_at=T0, deferred_reason=DEFERRED_WITHOUT_REASON)),
        ("delivered", None, None),
        ("bounce", "550 no such user", None),
        ("processed", None, None),
    ],
)
def test_what_each_event_says_of_engagement(kind, reason, engagement):
    assert engagement_of(kind, T0, reason) == engagement


def test_an_event_is_dated_by_its_own_timestamp():
    raw = {"event": "open", "sg_message_id": "abc.filter", "timestamp": 1_700_000_000}
    parsed = parse_event(raw)
    assert parsed is not None
    assert parsed.at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert parse_event({**raw, "timestamp": "soon"}).at is None  # type: ignore[union-attr]


def test_the_earliest_open_and_the_latest_deferral_win_in_any_order():
    news = [
        Engagement(opened_at=at(5)),
        Engagement(opened_at=at(2)),
        Engagement(deferred_at=at(1), deferred_reason="421 busy"),
        Engagement(deferred_at=at(3), deferred_reason="451 greylisted"),
        Engagement(deferred_at=at(3), deferred_reason="421 busy"),  # same instant: greater wins
    ]
    ends = set()
    for order in permutations(news):
        engagement = Engagement()
        for n in [*order, *order]:  # each twice
            engagement = engagement.merged(n)
        ends.add(engagement)
    assert ends == {Engagement(at(2), at(3), "451 greylisted")}


def test_news_already_known_changes_nothing():
    known = Engagement(at(2), at(3), "451 greylisted")
    assert known.merged(Engagement(opened_at=at(4))) == known
    assert known.merged(Engagement(deferred_at=at(1), deferred_reason="zzz")) == known
    assert known.merged(Engagement()) == known


def test_an_engagement_change_goes_out_whole_keyed_by_its_delivery():
    delivery_id, communication_id = uuid.uuid4(), uuid.uuid4()
    changed = DeliveryEngagementChanged(
        delivery_id, communication_id, Engagement(at(2), at(1), "x" * 5000)
    )
    payload = to_wire(changed)
    assert isinstance(payload, wire.DeliveryEngagementChanged)
    assert (payload.delivery_id, payload.communication_id) == (delivery_id, communication_id)
    assert (payload.opened_at, payload.deferred_at) == (at(2), at(1))
    assert payload.deferred_reason == "x" * 1999 + "…"  # cut to the contract's bound
    assert key_of(changed) == str(delivery_id)

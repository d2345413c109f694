"""The Delivery aggregate: what each move decides, the events it records, and over which
stored statuses its change may be written."""

import uuid

import pytest

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.delivery import Delivery, NotAllowed
from jobline_comms.domain.events import DeliveryDeadLettered, DeliveryStatusChanged
from jobline_comms.domain.model import Channel
from jobline_comms.domain.model import DeliveryStatus as S
from jobline_comms.domain.outcomes import Accepted, Ambiguous, Transient
from jobline_comms.domain.policy import Backoff

pytestmark = pytest.mark.unit


def delivery(status: S = S.QUEUED, *, claim_expired: bool = False) -> Delivery:
    causation = Causation("acme", uuid.uuid4(), uuid.uuid4())
    return Delivery(
        uuid.uuid4(),
        uuid.uuid4(),
        "acme",
        Channel.SMS,
        causation,
        status,
        lease=uuid.uuid4(),
        claim_expired=claim_expired,
    )


def settled(outcome, attempts_before: int = 0, max_attempts: int = 3) -> Delivery:
    d = delivery()
    d.attempts = attempts_before
    d.claim()
    d.stored()
    d.settle(outcome, max_attempts, Backoff(1.0, 10.0), 0.5)
    return d


def test_a_claim_needs_a_queued_delivery_under_a_lease():
    d = delivery()
    d.claim()
    assert (d.status, d.attempts, d.events) == (S.CLAIMED, 1, [])
    assert d.overwrites() == {S.QUEUED}
    with pytest.raises(NotAllowed):
        d.claim()
    unleased = delivery()
    unleased.lease = None
    with pytest.raises(NotAllowed):
        unleased.claim()


def test_an_accepted_call_is_sent_and_says_so():
    d = settled(Accepted("SM1"))
    assert d.status is S.SENT
    assert d.events == [
        DeliveryStatusChanged(d.delivery_id, d.communication_id, d.channel, S.SENT, "SM1")
    ]
    assert d.overwrites() == {S.QUEUED, S.CLAIMED, S.UNKNOWN}


def test_a_transient_failure_queues_it_again_only_over_its_own_claim():
    d = settled(Transient("503", "down"))
    assert (d.status, d.retry_in, d.events) == (S.QUEUED, 1.0, [])
    assert d.overwrites() == {S.CLAIMED}


def test_past_the_budget_it_fails_and_its_command_is_dead_lettered():
    d = settled(Transient("503", "down"), attempts_before=2)
    assert d.status is S.FAILED
    assert d.events[-1] == DeliveryDeadLettered(d.delivery_id, d.error_message or "")
    assert "gave up after 3 attempts" in (d.error_message or "")


def test_a_call_without_an_answer_is_unknown_not_retried():
    d = settled(Ambiguous("read timeout"))
    assert (d.status, d.retry_in) == (S.UNKNOWN, None)


@pytest.mark.parametrize(
    ("status", "expired", "published"),
    [
        (S.QUEUED, False, []),
        (S.CLAIMED, False, []),
        (S.CLAIMED, True, [S.UNKNOWN]),
        (S.SENT, False, [S.SENT]),
        (S.DELIVERED, False, [S.DELIVERED]),
        (S.FAILED, False, [S.FAILED]),
        (S.UNKNOWN, False, [S.UNKNOWN]),
    ],
)
def test_a_redelivered_command_republishes_and_never_resends(status, expired, published):
    d = delivery(status, claim_expired=expired)
    d.redeliver()
    assert [e.status for e in d.events if isinstance(e, DeliveryStatusChanged)] == published
    assert d.attempts == 0


def test_status_reports_only_move_it_forward():
    d = delivery(S.SENT)
    d.provider_message_id = "SM1"
    assert d.record_status(S.DELIVERED, "SM1", None)
    assert not d.record_status(S.SENT, "SM1", None)
    assert not d.record_status(S.FAILED, "SM1", "30003")
    assert [e.status for e in d.events if isinstance(e, DeliveryStatusChanged)] == [S.DELIVERED]
    assert S.SENT in d.overwrites()
    assert S.DELIVERED not in d.overwrites()


def test_a_failure_report_keeps_the_providers_code():
    d = delivery(S.CLAIMED)
    assert d.record_status(S.FAILED, "SM9", "30003")
    assert (d.provider_message_id, d.error_code) == ("SM9", "30003")
    assert d.error_message == "provider reported failed"


def test_an_expired_claim_is_unknown():
    d = delivery(S.CLAIMED)
    d.expire_claim()
    assert (d.status, d.error_code) == (S.UNKNOWN, "unknown")
    with pytest.raises(NotAllowed):
        delivery(S.SENT).expire_claim()


def test_once_written_the_copy_is_the_stored_one():
    d = delivery()
    d.claim()
    assert d.changed
    d.stored()
    assert not d.changed
    assert d.stored_status is S.CLAIMED

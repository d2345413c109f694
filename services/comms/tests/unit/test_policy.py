"""What each provider outcome does to a delivery: the statuses and the retry budget."""

import pytest

from jobline_comms.domain.model import DeliveryStatus, advances
from jobline_comms.domain.outcomes import (
    Accepted,
    Ambiguous,
    Refused,
    Transient,
    classify_smtp_reply,
    classify_twilio_error,
)
from jobline_comms.domain.policy import Backoff, decide

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 21211, Refused(DeliveryStatus.FAILED, "21211", "invalid")),
        (400, 21610, Refused(DeliveryStatus.OPTED_OUT, "21610", "invalid")),
        (404, None, Refused(DeliveryStatus.FAILED, "404", "invalid")),
        (429, 20429, Transient("20429", "invalid")),
        (503, None, Transient("503", "invalid")),
    ],
)
def test_twilio_errors_are_classified_by_status_and_code(status, code, expected):
    assert classify_twilio_error(status, code, "invalid") == expected


@pytest.mark.parametrize(
    ("code", "refused", "expected_status"),
    [
        (451, True, None),
        (421, False, None),
        (550, True, DeliveryStatus.BOUNCED),
        (553, True, DeliveryStatus.BOUNCED),
        (550, False, DeliveryStatus.BOUNCED),
        (554, False, DeliveryStatus.FAILED),
    ],
)
def test_smtp_4xx_is_transient_and_5xx_final(code, refused, expected_status):
    outcome = classify_smtp_reply(code, "no", recipient_refused=refused)
    if expected_status is None:
        assert outcome == Transient(str(code), "no")
    else:
        assert outcome == Refused(expected_status, str(code), "no")


def test_accepted_is_sent_with_the_provider_id():
    decision = decide(Accepted("SM123"), 1, 5, Backoff(), 0.5)
    assert (decision.status, decision.provider_message_id) == (DeliveryStatus.SENT, "SM123")


def test_a_permanent_refusal_fails_at_once_with_the_code():
    decision = decide(Refused(DeliveryStatus.FAILED, "21211", "bad number"), 1, 5, Backoff(), 0.5)
    assert (decision.status, decision.error_code, decision.retry_in) == (
        DeliveryStatus.FAILED,
        "21211",
        None,
    )
    assert not decision.dead_letter


def test_a_transient_failure_is_retried_later_with_backoff():
    decision = decide(Transient("429", "slow down"), 2, 5, Backoff(base=1.0), 0.5)
    assert decision.status is DeliveryStatus.QUEUED
    assert decision.retry_in == 2.0  # 1 · 2^(2-1), jitter 0.5 → factor 1


def test_past_the_budget_a_transient_failure_fails_and_dead_letters():
    decision = decide(Transient("503", "down"), 5, 5, Backoff(), 0.5)
    assert (decision.status, decision.dead_letter, decision.error_code) == (
        DeliveryStatus.FAILED,
        True,
        "503",
    )


def test_an_ambiguous_call_is_unknown_and_never_retried():
    decision = decide(Ambiguous("read timeout"), 1, 5, Backoff(), 0.5)
    assert (decision.status, decision.retry_in) == (DeliveryStatus.UNKNOWN, None)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    backoff = Backoff(base=1.0, cap=10.0)
    assert [backoff.delay(n, 0.5) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert backoff.delay(3, 0.0) == 2.0
    assert backoff.delay(3, 0.999) == pytest.approx(5.996)


def test_reports_only_move_a_delivery_forward():
    assert advances(DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
    assert advances(DeliveryStatus.CLAIMED, DeliveryStatus.DELIVERED)
    assert advances(DeliveryStatus.UNKNOWN, DeliveryStatus.SENT)
    assert not advances(DeliveryStatus.DELIVERED, DeliveryStatus.SENT)
    assert not advances(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)

"""STOP/START keywords and Twilio's message statuses."""

import pytest

from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.replies import OptChange, classify_reply, provider_status

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("word", ["STOP", "stopall", " Unsubscribe ", "CANCEL", "end", "Quit."])
def test_opt_out_words(word):
    change = classify_reply(word)
    assert change == OptChange(opted_out=True, keyword=word.strip().strip(".").upper())


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_opt_in_words(word):
    assert classify_reply(word) == OptChange(opted_out=False, keyword=word.upper())


@pytest.mark.parametrize("body", ["please stop by tomorrow", "thanks", "", "STOP IT"])
def test_other_replies_change_nothing(body):
    assert classify_reply(body) is None


@pytest.mark.parametrize(
    ("reported", "status"),
    [
        ("sent", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("undelivered", DeliveryStatus.FAILED),
        ("failed", DeliveryStatus.FAILED),
        ("queued", None),
        ("sending", None),
        ("accepted", None),
    ],
)
def test_provider_statuses(reported, status):
    assert provider_status(reported) is status

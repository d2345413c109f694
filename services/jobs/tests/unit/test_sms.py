"""One SMS segment: GSM-7 and UCS-2 counting and the refusal's message."""

import pytest

from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.sms import check_one_segment, measure

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "encoding", "units"),
    [
        ("Luis is on his way", "GSM-7", 18),
        ("Price: 10€ {approx}", "GSM-7", 22),  # € { } cost two each
        ("Your tech 👷 is here", "UCS-2", 20),  # the emoji is two UTF-16 units
        ("Привет", "UCS-2", 6),
        ("It\u2019s done", "UCS-2", 9),  # a curly apostrophe is not GSM-7
    ],
)
def test_texts_are_measured_in_their_encoding(body, encoding, units):
    assert (measure(body).encoding, measure(body).units) == (encoding, units)


def test_one_hundred_sixty_gsm7_characters_fit_and_one_more_does_not():
    assert check_one_segment("a" * 160).units == 160
    with pytest.raises(InvalidRequest) as refused:
        check_one_segment("a" * 161)
    assert refused.value.reason == "one text message holds 160 characters; this one has 161"


def test_seventy_ucs2_characters_fit_and_seventy_one_do_not():
    assert check_one_segment("Ж" * 70).encoding == "UCS-2"
    with pytest.raises(InvalidRequest) as refused:
        check_one_segment("Ж" * 71)
    assert refused.value.reason == (
        "one text message holds 70 characters when it has a character such as “Ж”; this one has 71"
    )

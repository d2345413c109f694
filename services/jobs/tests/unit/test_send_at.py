"""The dialog's "Send at": a date and time typed in the tenant's zone becomes the API's
send_at; blank, unreadable or past times are refused in plain words."""

from datetime import UTC, datetime

import pytest

from jobline_jobs.entrypoints.console.writing import NoSendTime, send_at

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_time_typed_in_the_tenants_zone_is_sent_with_its_offset():
    fields = {"when": ["at"], "send_at": ["2026-12-07T09:30:15"]}
    assert send_at(fields, "America/Denver", NOW) == "2026-12-07T09:30:15-07:00"


def test_send_now_sends_no_time_whatever_was_typed():
    assert send_at({"when": ["now"], "send_at": ["2026-12-07T09:30"]}, "UTC", NOW) is None
    assert send_at({}, "UTC", NOW) is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Choose the date and time to send at, or Send now."),
        ("tomorrow", "Choose the date and time to send at, or Send now."),
        ("2026-12-07T07:59", "That time has passed: choose a later one, or Send now."),
    ],
)
def test_blank_unreadable_or_past_times_are_refused(typed, says):
    with pytest.raises(NoSendTime, match=says):
        send_at({"when": ["at"], "send_at": [typed]}, "America/Denver", NOW)

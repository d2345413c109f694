"""The pure rules: segment counting, refusals, settings."""

import pytest

from jobline_sandboxes.smtp_catcher import DEFERRED, REJECTED, SmtpCatcherSettings, refusal_for
from jobline_sandboxes.twilio_sandbox import magic
from jobline_sandboxes.twilio_sandbox.segments import num_segments
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("é" * 160, 1),  # in the GSM-7 basic table
        ("ł" * 70, 1),  # needs UCS-2
        ("ł" * 71, 2),
        ("😀" * 35, 1),  # two UTF-16 units each
    ],
)
def test_num_segments(body, segments):
    assert num_segments(body) == segments


def test_judge_create_checks_fields_and_numbers():
    assert magic.judge_create("+15558675310", "+15017122661", "hi", 0) is None
    assert magic.judge_create("", "+15017122661", "hi", 0).code == 21604
    assert magic.judge_create("+15558675310", "+15017122661", "", 0).code == 21602
    assert magic.judge_create("not a number", "+15017122661", "hi", 0).code == 21211
    assert magic.judge_create(magic.RATE_LIMITED_NUMBER, "+15017122661", "hi", 1).code == 20429
    assert magic.judge_create(magic.RATE_LIMITED_NUMBER, "+15017122661", "hi", 2) is None
    assert magic.final_status(magic.UNDELIVERED_NUMBER) == ("undelivered", 30003)
    assert magic.final_status("+15558675310") == ("delivered", None)


def test_smtp_refusal_rules():
    assert refusal_for("bounce+x@example.com", set()) == REJECTED
    assert refusal_for("Tempfail-2@example.com", set()) == DEFERRED
    assert refusal_for("blocked@example.com", {"blocked@example.com"}) == REJECTED
    assert refusal_for("customer@example.com", set()) is None


def test_settings_from_env():
    twilio = TwilioSandboxSettings.from_env(
        {"JOBLINE_SANDBOX_TWILIO_PORT": "9025", "JOBLINE_SANDBOX_TWILIO_LATENCY_MS": "50"}
    )
    assert (twilio.port, twilio.latency_ms) == (9025, 50)
    assert twilio.account_sid == "ACsandbox00000000000000000000000000"
    smtp = SmtpCatcherSettings.from_env({"JOBLINE_SANDBOX_MAIL_DIR": "/tmp/mail"})  # noqa: S108
    assert (smtp.port, str(smtp.mail_dir)) == (1025, "/tmp/mail")  # noqa: S108
    with pytest.raises(ValueError, match="JOBLINE_SANDBOX_TWILIO_PORT"):
        TwilioSandboxSettings.from_env({"JOBLINE_SANDBOX_TWILIO_PORT": "eighty"})

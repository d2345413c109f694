"""Log lines: JSON, context ids bound, personal data and secrets masked everywhere."""

import io
import json
import logging

import pytest
import structlog

from jobline_infra.observability.logging import (
    bound,
    configure_logging,
    redact_text,
    register_secret,
)

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _restore_logging():
    """configure_logging changes process-wide state; other tests must not see it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
    logging.captureWarnings(False)  # noqa: FBT003 - the standard library's signature
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("texting +15555550101 now", "texting [phone] now"),
        ("To=%2B15555550101&Body=hi", "To=[phone]&Body=hi"),
        ("call (303) 555-0101 or 303.555.0102", "call [phone] or [phone]"),
        ("mail dana.w+tag@example.co.uk please", "mail [email] please"),
        ("to dana%40example.com", "to [email]"),
        ("Authorization: Bearer abc.DEF-123_x", "Authorization: Bearer [redacted]"),
        ("basic auth Basic QUM6c2VjcmV0", "basic auth Basic [redacted]"),
        ("postgresql://jobline:hunter22@db/jobline", "postgresql://[redacted]@db/jobline"),
        ("login password=hunter22, then", "login password=[redacted], then"),
        ('{"auth_token": "0123abcd"}', '{"auth_token": "[redacted]"}'),
    ],
)
def test_personal_data_and_credentials_are_masked(text: str, masked: str):
    assert redact_text(text) == masked


def test_ids_and_timestamps_are_left_alone():
    text = (
        "delivery 2f6c1e8a-55b1-4c2e-9a4e-0d1b2c3d4e5f at 2026-11-26T10:00:00Z"
        " partition 3 offset 1234567 took 0.25s"
    )
    assert redact_text(text) == text


def test_a_registered_secret_is_masked_wherever_it_appears():
    register_secret("s3cr3t-auth-token-value")
    assert redact_text("twilio said s3cr3t-auth-token-value!") == "twilio said [secret]!"


def _configured(level: str = "INFO") -> io.StringIO:
    configure_logging("test", level)
    out = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    return out


def test_stdlib_and_structlog_lines_are_json_with_bound_ids_and_masked_fields():
    out = _configured()
    with bound(correlation_id="c-1", request_id="r-1"):
        logging.getLogger("jobline.test").info("texting %s", "+15555550101")
        structlog.get_logger("jobline.test").info(
            "emailing",
            to="dana@example.com",
            password="hunter22",  # noqa: S106 - a made-up one, to be masked
            attempt=2,
        )
    logging.getLogger("jobline.test").debug("not at INFO")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "texting [phone]"
    assert second["to"] == "[email]"
    assert second["password"] == "[redacted]"  # noqa: S105
    assert second["attempt"] == 2
    for event in (first, second):
        assert event["correlation_id"] == "c-1"
        assert event["request_id"] == "r-1"
        assert event["level"] == "info"
        assert event["service"] == "test"
        assert event["logger"] == "jobline.test"


def test_exceptions_are_rendered_and_masked_too():
    out = _configured()

    def fail() -> None:
        raise ValueError("bad number +15555550101")

    try:
        fail()
    except ValueError:
        logging.getLogger("jobline.test").exception("failed")
    event = json.loads(out.getvalue())
    assert "ValueError: bad number [phone]" in event["exception"]
    assert "+15555550101" not in out.getvalue()

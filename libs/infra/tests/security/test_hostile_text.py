"""Text that strangers chose, through the log pipeline and into dead letters: linear time,
bounded size."""

import hashlib
import json
import logging
import time
from dataclasses import dataclass

import pytest
import structlog

from jobline_infra.dead_letters import (
    MAX_DEAD_LETTER_BYTES,
    MAX_KEY_BYTES,
    MAX_REASON_CHARS,
    dead_letter,
)
from jobline_infra.observability.logging import MAX_FIELD_CHARS, configure_logging, redact_text

pytestmark = pytest.mark.unit
MEGABYTE = 1_000_000
# Runs that made the old patterns rescan from each position: an address's local part with
# no "@", digits, dotted words, percent-escapes, credentials keys without a value.
HOSTILE_RUNS = ["a", "a.", "%4", "1", "+1", "1-", " ", "token ", "://a:b", "bearer "]


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
    logging.captureWarnings(False)  # noqa: FBT003 - the standard library's signature
    structlog.reset_defaults()


@pytest.mark.parametrize("run", HOSTILE_RUNS)
def test_a_megabyte_through_the_log_pipeline_is_redacted_within_50_ms(run: str, capsys):
    configure_logging("test", "INFO")
    hostile = run * (MEGABYTE // len(run))
    started = time.perf_counter()
    structlog.get_logger("hostile").warning(hostile, reason=hostile)
    elapsed = time.perf_counter() - started
    line = json.loads(capsys.readouterr().out)
    assert elapsed <= 0.050, f"{elapsed * 1000:.0f} ms for a megabyte of {run!r}"
    assert len(line["event"]) < MAX_FIELD_CHARS + 64
    assert line["reason"].endswith(f"[cut: {len(hostile)} characters]")


def test_a_cut_value_keeps_no_half_of_an_address_for_the_masks_to_miss():
    addresses = " ".join(f"dana{i}@example.com" for i in range(1000))
    cut = redact_text(addresses)
    assert "@" not in cut
    assert "dana" not in cut


def test_masks_still_find_what_they_masked_before():
    text = "reach dana.w+tag@example.co.uk, dana%40example.com or +15555550101"
    assert redact_text(text) == "reach [email], [email] or [phone]"


@dataclass(frozen=True)
class _Record:
    topic: str = "dispatch.events.v1"
    partition: int = 3
    offset: int = 42
    key: bytes | None = b"acme:job-1"
    value: bytes | None = b'{"type": "job.started"}'


def test_a_dead_letter_that_fits_carries_the_original_unchanged():
    letter = dead_letter(_Record(), "jobs", "not_json", "the message is not valid JSON")
    assert (letter.key, letter.value) == (_Record.key, _Record.value)
    assert "x-original-size" not in letter.headers


def test_an_oversized_poison_message_is_cut_to_fit_with_its_size_and_digest():
    poison = b"x" * (2 * 1024 * 1024)
    key = b"k" * 600_000
    letter = dead_letter(_Record(key=key, value=poison), "jobs", "not_json", "r" * 600_000)
    assert letter.value == poison[:MAX_DEAD_LETTER_BYTES]
    assert letter.key == key[:MAX_KEY_BYTES]
    assert letter.headers["x-original-size"] == str(len(poison))
    assert letter.headers["x-original-sha256"] == hashlib.sha256(poison).hexdigest()
    assert letter.headers["x-original-key-sha256"] == hashlib.sha256(key).hexdigest()
    reason = letter.headers["x-dlq-reason"]
    assert reason.startswith("r" * MAX_REASON_CHARS)
    assert reason.endswith("[cut: 600000 characters]")
    headers = sum(len(k) + len(v) for k, v in letter.headers.items())
    assert len(letter.value) + len(letter.key) + headers < 1024 * 1024 - 64 * 1024

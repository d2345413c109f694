"""The console's refusals in an office person's words (entrypoints/console/plain_words.py)."""

import pytest

from jobline_jobs.entrypoints.console.plain_words import sentence

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "message", "details", "shown"),
    [
        (
            "invalid_request",
            "recipient_ids: List should have at least 1 item after validation, not 0",
            [
                {
                    "loc": ["body", "recipient_ids"],
                    "msg": "List should have at least 1 item after validation, not 0",
                    "type": "too_short",
                }
            ],
            "Choose at least one recipient.",
        ),
        (
            "invalid_request",
            "reason: Field required",
            [{"loc": ["body", "reason"], "msg": "Field required", "type": "missing"}],
            "Fill in the reason.",
        ),
        (
            "invalid_request",
            "subject: String should have at most 200 characters",
            [
                {
                    "loc": ["body", "subject"],
                    "msg": "String should have at most 200 characters",
                    "type": "string_too_long",
                }
            ],
            "The subject is too long: at most 200 allowed.",
        ),
        (
            "invalid_request",
            "subject: Value error, must be one line: it becomes an email header",
            [
                {
                    "loc": ["body", "subject"],
                    "msg": "Value error, must be one line: it becomes an email header",
                    "type": "value_error",
                }
            ],
            "Subject must be one line: it becomes an email header.",
        ),
        (
            "impossible_transition",
            "the job is in_progress; an invoice is issued while awaiting billing",
            None,
            "The job is in progress; an invoice is issued while awaiting billing.",
        ),
        (
            "invalid_request",
            "brand_colour: must be a colour as #rrggbb (six hex digits)",
            None,
            "Brand colour must be a colour as #rrggbb (six hex digits).",
        ),
        (
            "forbidden",
            "a viewer token cannot act on jobs",
            None,
            "A viewer token cannot act on jobs.",
        ),
    ],
)
def test_a_refusal_reads_as_a_sentence_without_codes(code, message, details, shown):
    assert sentence(code, message, details) == shown

"""Merging a job's values into a template, the template's rules, and plain punctuation:
pure domain functions."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.plain_punctuation import plain_punctuation
from jobline_jobs.domain.sms import measure
from jobline_jobs.domain.templates import (
    MERGE_FIELDS,
    MergeValues,
    SaveTemplate,
    UnknownMergeField,
    arrival_window,
    first_name,
    invoice_amount,
    merge,
    template,
)

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
VALUES = MergeValues(
    customer_first_name="Dana",
    job_number="J-1042",
    arrival_window="Tue 8 Dec between 09:00 and 11:00",
    technician="Luis Ortega",
    invoice_number=None,
    invoice_amount=None,
    business_name="Acme Plumbing",
)


def saved(**changes: object) -> SaveTemplate:
    fields: dict[str, object] = {
        "name": "On our way",
        "channel": "sms",
        "subject": None,
        "body": "Hi {customer_first_name}",
        "by": "admin:x",
    }
    return SaveTemplate("acme", T0, uuid4(), **{**fields, **changes})  # type: ignore[arg-type]


def test_every_field_merges_with_the_jobs_value():
    text = (
        "Hi {customer_first_name}, {technician} of {business_name}"
        " comes {arrival_window} ({job_number})."
    )
    merged = merge(text, VALUES)
    assert merged.text == (
        "Hi Dana, Luis Ortega of Acme Plumbing comes Tue 8 Dec between 09:00 and 11:00 (J-1042)."
    )
    assert merged.missing == ()


def test_a_field_the_job_has_no_value_for_merges_as_nothing_and_is_named():
    merged = merge("Invoice {invoice_number}: {invoice_amount}", VALUES)
    assert merged.text == "Invoice : "
    assert merged.missing == ("invoice_number", "invoice_amount")


def test_braces_around_anything_but_a_name_are_text():
    assert merge("Use code {A 1} or { } {{", VALUES).text == "Use code {A 1} or { } {{"


def test_unknown_fields_are_refused_naming_each_once():
    with pytest.raises(UnknownMergeField) as refused:
        merge("Hi {first_name} {first_name} {job_number} {tech}", VALUES)
    assert refused.value.names == ["first_name", "tech"]
    assert refused.value.reason.startswith("{first_name}, {tech} are not merge fields;")
    assert "{customer_first_name}" in refused.value.reason


def test_a_template_keeps_its_rules():
    assert template(saved()).name == "On our way"
    with pytest.raises(UnknownMergeField, match=r"\{customer\} is not a merge field"):
        template(saved(channel="email", subject="For {customer}", body="Hello"))
    with pytest.raises(InvalidRequest, match="has no subject"):
        template(saved(subject="Hi"))
    with pytest.raises(InvalidRequest, match="needs a subject"):
        template(saved(channel="email"))
    with pytest.raises(InvalidRequest, match="needs a name"):
        template(saved(name="  "))
    with pytest.raises(InvalidRequest, match="1 to 1000 characters"):
        template(saved(body="x" * 1001))


def test_the_values_read_as_an_office_writes_them():
    start, end = datetime(2026, 12, 8, 14, tzinfo=UTC), datetime(2026, 12, 8, 16, tzinfo=UTC)
    assert arrival_window(start, end, "America/New_York") == "Tue 8 Dec between 09:00 and 11:00"
    assert arrival_window(start, end, "Australia/Sydney") == "Wed 9 Dec between 01:00 and 03:00"
    assert invoice_amount(Decimal("1234.5"), "USD") == "$1,234.50"
    assert invoice_amount(Decimal("99"), "SEK") == "99.00 SEK"
    assert first_name("  Dana  Whitfield ") == "Dana"
    assert first_name("") is None
    assert MERGE_FIELDS == (
        "customer_first_name",
        "job_number",
        "arrival_window",
        "technician",
        "invoice_number",
        "invoice_amount",
        "business_name",
    )


def test_plain_punctuation_keeps_a_pasted_text_within_160():
    pasted = "We\u2019ll be there \u2013 \u201cbetween 9\u201311\u201d\u2026\u00a0thanks"
    assert measure(pasted).encoding == "UCS-2"
    plain = plain_punctuation(pasted)
    assert plain == 'We\'ll be there - "between 9-11"... thanks'
    assert measure(plain).encoding == "GSM-7"
    assert plain_punctuation("Caf\u00e9 \u00fcber \U0001f64f") == "Caf\u00e9 \u00fcber \U0001f64f"

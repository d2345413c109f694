"""The tenant's wording of invoice emails: fields merged, unknown fields refused on save."""

import pytest

from jobline_jobs.domain.invoice_email import InvoiceEmail, compose, template_problem
from jobline_jobs.domain.tenant_settings import RULES

pytestmark = pytest.mark.unit
VALUES = {
    "invoice_number": "INV-000042",
    "job_number": "J-1042",
    "business_name": "Acme Plumbing",
    "amount_due": "$330.37",
}


def test_the_tenants_wording_is_merged_and_the_default_fills_what_it_left_out():
    wording = InvoiceEmail(subject="{business_name}: your invoice {invoice_number}")
    subject, body = compose(wording, VALUES)
    assert subject == "Acme Plumbing: your invoice INV-000042"
    assert body.startswith("Please find attached invoice INV-000042 for job J-1042.")


def test_braces_around_what_is_not_a_name_stay_and_a_merged_subject_is_one_line():
    subject, _ = compose(InvoiceEmail(subject="{ Paid } {invoice_number}\n"), VALUES)
    assert subject == "{ Paid } INV-000042"


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("Hi {customer_name}", "names unknown fields customer_name"),
        (
            "{invoice_amount} for {job_number} {technician}",
            "unknown fields invoice_amount, technician",
        ),
    ],
)
def test_a_template_naming_what_does_not_exist_is_refused(template, says):
    problem = template_problem(template)
    assert problem is not None
    assert says in problem


def test_the_settings_rules_refuse_an_unknown_field_and_keep_a_known_one():
    body, subject = RULES["invoice_email_body"], RULES["invoice_email_subject"]
    assert (body("Dear {customer}") or "").startswith("names unknown fields customer")
    assert subject("Invoice {invoice_number}") is None
    assert subject(None) is None  # cleared: the default
    assert subject("x" * 201) == "must be at most 200 characters"

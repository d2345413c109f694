"""The invoice email's subject and body: the tenant's wording, with the invoice's fields
merged in.

The syntax is the message templates' (``domain/templates.py``): a field is its name in
braces, ``Invoice {invoice_number} from {business_name}``; braces around anything else are
text. Only the fields below exist; a wording naming another is refused when it is saved,
so an email never leaves with an unmerged field in it.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from jobline_jobs.domain.templates import named_fields, substitute

FIELDS = ("invoice_number", "job_number", "business_name", "amount_due")
DEFAULT_SUBJECT = "Invoice {invoice_number} from {business_name}"
DEFAULT_BODY = (
    "Please find attached invoice {invoice_number} for job {job_number}."
    " Amount due: {amount_due}.\n\n{business_name}"
)


@dataclass(frozen=True)
class InvoiceEmail:
    """The tenant's wording; None: the default."""

    subject: str | None = None
    body: str | None = None


def template_problem(wording: str) -> str | None:
    """Why ``wording`` cannot be merged (a field that does not exist), or None."""
    unknown = [name for name in named_fields(wording) if name not in FIELDS]
    if unknown:
        return f"names unknown fields {', '.join(unknown)}; the fields are {', '.join(FIELDS)}"
    return None


def compose(wording: InvoiceEmail, values: Mapping[str, str]) -> tuple[str, str]:
    """The subject (one line) and body with ``values`` (every field of FIELDS) merged in."""
    subject = substitute(wording.subject or DEFAULT_SUBJECT, values)
    return " ".join(subject.split()), substitute(wording.body or DEFAULT_BODY, values)

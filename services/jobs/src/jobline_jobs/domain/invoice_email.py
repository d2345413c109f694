"""The invoice email's subject and body: the tenant's wording, with the invoice's fields
merged in.

A template names fields in braces: ``Invoice {invoice_number} from {business_name}``.
Only the fields below exist; a template naming another is refused when it is saved, so an
email never leaves with a brace in it. ``{{`` and ``}}`` are literal braces.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

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


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot be merged (an unknown field, a stray brace), or None."""
    try:
        named = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as error:
        return f"is not a template: {error} (write {{{{ and }}}} for a literal brace)"
    if "" in named:
        return "has an empty {} where a field name belongs"
    unknown = sorted({n for n in named if n not in FIELDS})
    if unknown:
        return f"names unknown fields {', '.join(unknown)}; the fields are {', '.join(FIELDS)}"
    return None


def compose(wording: InvoiceEmail, values: Mapping[str, str]) -> tuple[str, str]:
    """The subject and body with ``values`` (every field of FIELDS) merged in."""
    subject = (wording.subject or DEFAULT_SUBJECT).format_map(values)
    return " ".join(subject.split()), (wording.body or DEFAULT_BODY).format_map(values)

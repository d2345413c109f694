"""A tenant's settings: who it is on its invoices, its terms and its policies.

Each editable setting has one rule here; a change that breaks a rule is refused whole,
naming the setting and the rule, so nothing is half applied. The invoice title and the
tax id's label default to what the tenant's currency or country suggests (an Australian business
must title its invoices "Tax Invoice" and print its ABN) until the tenant sets its own.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from jobline_jobs.domain.commands import Command
from jobline_jobs.domain.commission_split import SplitRule
from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.invoice_email import template_problem

SPLIT_RULES = tuple(rule.value for rule in SplitRule)  # the rules the ledger splits by
# How a change that lowers an issued invoice is recorded (domain/issued_invoices.py).
REVISION_CONVENTIONS = ("revised_invoice", "credit_note")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{6,30}")
# Where the law names the document "Tax Invoice" and its tax id: by currency or country.
_TAX_INVOICE_PLACES = frozenset({"AUD", "AU"})
_TAX_ID_LABELS = {"AUD": "ABN", "AU": "ABN"}


class InvalidSetting(InvalidRequest):
    """A setting's new value breaks its rule."""

    kind = "invalid_setting"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field, self.rule = field, rule


def default_invoice_title(currency: str, country: str | None = None) -> str:
    return "Tax Invoice" if {currency, country} & _TAX_INVOICE_PLACES else "Invoice"


def default_tax_id_label(currency: str, country: str | None = None) -> str:
    return _TAX_ID_LABELS.get(currency) or _TAX_ID_LABELS.get(country or "", "Tax ID")


def _text(limit: int, *, required: bool = False) -> Callable[[object], str | None]:
    def rule(value: object) -> str | None:
        if value is None:
            return "is required" if required else None
        if not isinstance(value, str) or not value.strip():
            return "must not be blank" + ("" if required else " (send null to clear it)")
        return None if len(value) <= limit else f"must be at most {limit} characters"

    return rule


def _matching(
    pattern: re.Pattern[str], what: str, limit: int = 200
) -> Callable[[object], str | None]:
    def rule(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and len(value) > limit:
            return f"must be at most {limit} characters"
        if isinstance(value, str) and pattern.fullmatch(value):
            return None
        return f"must be {what}"

    return rule


def _between(low: Decimal, high: Decimal, what: str) -> Callable[[object], str | None]:
    def rule(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return f"must be {what}"
        return None if low <= value <= high else f"must be {what}"

    return rule


def _days(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 365:
        return None
    return "must be whole days from 0 to 365"


def _wording(limit: int) -> Callable[[object], str | None]:
    """An invoice email template: bounded text naming only the known fields."""
    text = _text(limit)

    def rule(value: object) -> str | None:
        if value is None:
            return None
        return text(value) or template_problem(str(value))

    return rule


def _address(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value.get("line1") or not value.get("city"):
        return "must have at least line1 and city"
    return None


def _one_of(allowed: tuple[str, ...]) -> Callable[[object], str | None]:
    def rule(value: object) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return rule


RULES: dict[str, Callable[[object], str | None]] = {
    "business_name": _text(200, required=True),
    "business_address": _address,
    "business_phone": _matching(_PHONE, "a phone number (digits, spaces, + ( ) . - /)"),
    "business_email": _matching(_EMAIL, "an email address (name@domain)", 254),
    "tax_id": _text(40),
    "tax_id_label": _text(40),
    "invoice_title": _text(60),
    "payment_terms_days": _days,
    "logo_blob_key": _text(500),
    "brand_colour": _matching(_COLOUR, "a colour as #rrggbb (six hex digits)"),
    "chargeback_percent": _between(Decimal(0), Decimal(1), "a fraction from 0 to 1 (1 = 100 %)"),
    "commission_split_rule": _one_of(SPLIT_RULES),
    "default_tax_rate": _between(Decimal(0), Decimal("0.9999"), "a fraction from 0 to 0.9999"),
    "invoice_revision_convention": _one_of(REVISION_CONVENTIONS),
    "invoice_email_subject": _wording(200),
    "invoice_email_body": _wording(4000),
}
REQUIRED = frozenset(
    {
        "business_name",
        "payment_terms_days",
        "brand_colour",
        "chargeback_percent",
        "commission_split_rule",
        "default_tax_rate",
        "invoice_revision_convention",
    }
)


@dataclass(frozen=True)
class TenantSettings:
    tenant_id: str
    currency: str
    business_name: str
    business_address: Mapping[str, Any] | None
    business_phone: str | None
    business_email: str | None
    tax_id: str | None
    tax_id_label: str | None
    invoice_title: str | None
    payment_terms_days: int
    logo_blob_key: str | None
    brand_colour: str
    chargeback_percent: Decimal
    commission_split_rule: str
    default_tax_rate: Decimal
    invoice_revision_convention: str = "revised_invoice"
    invoice_email_subject: str | None = None  # None: domain/invoice_email.py's default
    invoice_email_body: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def country(self) -> str | None:
        found = (self.business_address or {}).get("country")
        return found if isinstance(found, str) else None

    @property
    def printed_title(self) -> str:
        return self.invoice_title or default_invoice_title(self.currency, self.country)

    @property
    def printed_tax_id_label(self) -> str:
        return self.tax_id_label or default_tax_id_label(self.currency, self.country)

    def changed(self, changes: Mapping[str, Any], *, by: str, at: datetime) -> "TenantSettings":
        """These settings with ``changes`` applied, stamped with who and when; refused
        whole (InvalidSetting) when one value breaks its rule."""
        for field in sorted(changes):
            rule = RULES.get(field)
            if rule is None:
                raise InvalidSetting(field, "is not a setting one can change")
            value = changes[field]
            broken = "is required" if value is None and field in REQUIRED else rule(value)
            if broken is not None:
                raise InvalidSetting(field, broken)
        return replace(self, **changes, updated_at=at, updated_by=by)


@dataclass(frozen=True)
class UpdateTenantSettings(Command):
    """An admin changes some of the tenant's settings (only the fields in ``changes``)."""

    changes: Mapping[str, Any]
    by: str

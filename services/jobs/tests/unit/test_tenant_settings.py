"""The rules of tenant settings, and the title and tax id label local law suggests."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jobline_jobs.domain.tenant_settings import InvalidSetting, TenantSettings

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
USD = TenantSettings(
    tenant_id="acme",
    currency="USD",
    business_name="Acme Plumbing",
    business_address=None,
    business_phone=None,
    business_email=None,
    tax_id=None,
    tax_id_label=None,
    invoice_title=None,
    payment_terms_days=30,
    logo_blob_key=None,
    brand_colour="#1f4e79",
    chargeback_percent=Decimal(1),
    commission_split_rule="visits_completed",
    default_tax_rate=Decimal(0),
)


def test_an_aud_tenant_prints_tax_invoice_and_abn_unless_it_says_otherwise():
    aud = replace(USD, currency="AUD")
    assert (aud.printed_title, aud.printed_tax_id_label) == ("Tax Invoice", "ABN")
    assert (USD.printed_title, USD.printed_tax_id_label) == ("Invoice", "Tax ID")
    own = aud.changed({"invoice_title": "Invoice", "tax_id_label": "ACN"}, by="admin:1", at=AT)
    assert (own.printed_title, own.printed_tax_id_label) == ("Invoice", "ACN")


def test_an_australian_address_suggests_tax_invoice_whatever_the_currency():
    au = replace(USD, business_address={"line1": "12 Quay St", "city": "Sydney", "country": "AU"})
    assert (au.printed_title, au.printed_tax_id_label) == ("Tax Invoice", "ABN")


def test_a_change_is_stamped_with_who_and_when_and_touches_only_its_fields():
    changed = USD.changed({"payment_terms_days": 14}, by="admin:1", at=AT)
    assert changed == replace(USD, payment_terms_days=14, updated_at=AT, updated_by="admin:1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payment_terms_days": Decimal("1.5")}, "payment_terms_days"),
        ({"payment_terms_days": True}, "payment_terms_days"),
        ({"chargeback_percent": Decimal("-0.1")}, "chargeback_percent"),
        ({"brand_colour": "#abc"}, "brand_colour"),
        ({"commission_split_rule": None}, "commission_split_rule"),
        ({"business_address": {"line1": "1 Main St"}}, "business_address"),
        ({"next_invoice_seq": 1}, "next_invoice_seq"),
        ({"tax_id": "1", "brand_colour": "blue"}, "brand_colour"),
        # Longer than the invoice contract's Seller.email allows.
        ({"business_email": "a" * 250 + "@example.com"}, "business_email"),
    ],
)
def test_a_broken_rule_refuses_the_whole_change_naming_the_setting(changes, field):
    with pytest.raises(InvalidSetting) as refused:
        USD.changed(changes, by="admin:1", at=AT)
    assert refused.value.field == field
    assert refused.value.reason.startswith(f"{field}: ")

"""Money, quantities, rates and dates as each tenant's locale prints them: exactly."""

from datetime import date
from decimal import Decimal

import pytest
from babel.core import UnknownLocaleError

from jobline_invoicing.adapters.formatting import Formatter

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("locale", "currency", "amount", "printed"),
    [
        ("en_US", "USD", "330.37", "$330.37"),
        ("en_US", "USD", "1234.5", "$1,234.50"),
        ("en_US", "USD", "0.00", "$0.00"),
        ("en_US", "USD", "-25.00", "-$25.00"),
        ("en_US", "USD", "123456789012.34", "$123,456,789,012.34"),
        ("en_CA", "CAD", "1234.56", "$1,234.56"),
        ("en_GB", "GBP", "1234.56", "£1,234.56"),
        ("de_DE", "EUR", "1234.5", "1.234,50\u00a0€"),
        ("fr_FR", "EUR", "1234.56", "1\u202f234,56\u00a0€"),
        ("de_CH", "CHF", "1234.05", "CHF\u00a01\u2019234.05"),
        ("en_IN", "INR", "1234567.89", "₹12,34,567.89"),
        ("ja_JP", "JPY", "1500", "¥1,500"),
        ("ja_JP", "JPY", "1500.00", "¥1,500"),
    ],
)
def test_money_is_printed_per_locale_and_currency(locale, currency, amount, printed):
    assert Formatter(locale, currency).money(Decimal(amount)) == printed


def test_money_is_never_rounded_into_a_different_amount():
    # Yen have no minor unit; an amount with cents keeps them rather than losing 0.50.
    assert Formatter("ja_JP", "JPY").money(Decimal("1500.50")) == "¥1,500.50"
    # No float anywhere: the last cent of a large amount survives.
    assert Formatter("en_US", "USD").money(Decimal("9999999999999.99")) == "$9,999,999,999,999.99"


def test_quantities_rates_and_dates():
    us, de = Formatter("en_US", "USD"), Formatter("de_DE", "EUR")
    assert [us.quantity(Decimal(q)) for q in ("1", "1.000", "2.5", "0.125")] == [
        "1",
        "1",
        "2.5",
        "0.125",
    ]
    assert de.quantity(Decimal("2.5")) == "2,5"
    assert us.percent(Decimal("0.08")) == "8%"
    assert us.percent(Decimal("0.0825")) == "8.25%"
    assert de.percent(Decimal("0.19")) == "19\u00a0%"
    assert us.date(date(2025, 3, 18)) == "Mar 18, 2025"
    assert de.date(date(2025, 3, 18)) == "18.03.2025"


def test_paper_follows_the_locale():
    assert Formatter("en_US", "USD").page_size == "letter"
    assert Formatter("en_CA", "CAD").page_size == "letter"
    assert Formatter("en_GB", "GBP").page_size == "A4"
    assert Formatter("de_DE", "EUR").page_size == "A4"
    assert Formatter("en", "USD").page_size == "A4"


def test_an_unknown_locale_is_refused():
    with pytest.raises(UnknownLocaleError):
        Formatter("xx_YY", "USD")

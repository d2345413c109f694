"""Numbers, money and dates as the tenant's locale prints them (CLDR data through Babel).

Babel formats ``Decimal`` values with decimal arithmetic, so amounts are never routed
through floats; it knows each currency's symbol, placement, grouping and minor units per
locale, which a hand-written formatter would only approximate.
"""

from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision

# Symbols some locales use that common fonts lack, mapped to the equivalent they carry.
_PRINTABLE = str.maketrans({"\uffe5": "\u00a5"})  # fullwidth yen sign -> yen sign
# Where invoices are printed on US Letter rather than A4.
_LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE"})


class Formatter:
    """Formats values for one invoice: one locale, one currency."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale = Locale.parse(locale)  # an unknown locale fails the render, clearly
        self.currency = currency
        self._quantum = Decimal(1).scaleb(-get_currency_precision(currency))

    @property
    def page_size(self) -> str:
        """``letter`` or ``A4``, after the locale's territory."""
        return "letter" if self.locale.territory in _LETTER_TERRITORIES else "A4"

    def money(self, value: Decimal) -> str:
        """The amount with the currency's symbol, never rounded: an amount finer than the
        currency's minor unit (cents of yen) keeps its digits."""
        fits = value == value.quantize(self._quantum)
        text = format_currency(
            value,
            self.currency,
            locale=self.locale,
            currency_digits=fits,
            decimal_quantization=False,
        )
        return text.translate(_PRINTABLE)

    def quantity(self, value: Decimal) -> str:
        """A quantity without trailing zeros (``1``, ``2.5``)."""
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def percent(self, value: Decimal) -> str:
        """A fraction as a percentage (``0.0825`` → ``8.25%``)."""
        return format_percent(value, locale=self.locale, decimal_quantization=False)

    def date(self, value: date) -> str:
        """A date in the locale's medium form (``Mar 18, 2025``)."""
        return format_date(value, format="medium", locale=self.locale)

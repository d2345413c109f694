"""Field types shared by every contract: ids, money, phone numbers, addresses."""

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

TenantId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$"),
    Field(description="Tenant slug: lowercase letters, digits and dashes", examples=["acme"]),
]
JobNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$"),
    Field(description="Human job number, unique per tenant", examples=["J-10042"]),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 currency code", examples=["USD"]),
]
PhoneNumber = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164 phone number", examples=["+15555550123"]),
]
EMAIL_MAX = 254  # RFC 5321's longest path; email-validator refuses longer addresses too
# The bound is said in the schema as well, so a consumer that validates by schema refuses
# a megabyte "address" before handing it to an email parser.
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX)]
# For text that becomes an email header (a subject, a display name, a file name): one
# line, since a line break there would start a header of the sender's choosing.
ONE_LINE = r"^[^\r\n\x00]*$"

# Bounds on text a message carries. Whoever can write a topic could otherwise fill a
# field with megabytes that every consumer parses, stores, logs and copies on.
NAME_MAX = 200
TEXT_MAX = 2000
CODE_MAX = 64
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
ShortText = Annotated[str, StringConstraints(max_length=NAME_MAX)]  # a name that may be empty
Code = Annotated[str, StringConstraints(max_length=CODE_MAX)]
# A message type or an action's name: what caused a change (``job.started``,
# ``api.LinkRecall``); bounded as the envelope's ``type``.
Cause = Annotated[str, StringConstraints(min_length=1, max_length=CODE_MAX)]
InvoiceNo = Annotated[str, StringConstraints(min_length=1, max_length=32)]


def clipped(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters: for a producer passing on words it does not
    control (a provider's error message), which must fit the contract, not break it."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _no_negative_zero(value: Decimal) -> Decimal:
    # Decimal("-0.00") would print as "-0.00" on invoices; normalise it once, here.
    return value if value != 0 else abs(value)


_MONEY = "Exact amount, at most 2 decimals"
Money = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, description=_MONEY),
    AfterValidator(_no_negative_zero),
]
# The sign bound sits in the same Field as the digits: stacked on top of Money (after its
# validator) pydantic still enforces it but publishes it in JSON Schema as an unknown
# "ge"/"gt" keyword that validators ignore.
NonNegativeMoney = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, description=_MONEY),
    AfterValidator(_no_negative_zero),
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=2, description=_MONEY),
    AfterValidator(_no_negative_zero),
]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=6, decimal_places=4, description="A fraction, 0.1 = 10 %"),
]


class ContractModel(BaseModel):
    """Base of every nested contract model: immutable, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Address(ContractModel):
    """A postal address as printed on invoices."""

    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"

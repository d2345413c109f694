"""Message templates of a tenant, and merging a job's data into them.

Syntax: a merge field is its name in braces, e.g. ``Hi {customer_first_name}, your
technician {technician} arrives {arrival_window}.`` The names are ``MERGE_FIELDS``; any
other name in braces is refused when the template is saved (and when a message naming it
is sent), naming it. Braces around anything that is not a name (``{ }``, ``{{``) are
text. A field the job has no value for yet (no invoice issued) merges as nothing, and
``Merged.missing`` names it, so the dialog can say so before the message goes.

Pure: the caller gathers the job's values (``MergeValues``).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from jobline_jobs.domain.commands import Command
from jobline_jobs.domain.errors import InvalidRequest

CHANNELS = ("sms", "email")
NAME_LIMIT = 80
SUBJECT_LIMIT = 250
BODY_LIMITS = {"sms": 1000, "email": 20000}  # a text template may hold fields longer merged
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class MergeValues:
    """The job's value of each merge field (None: the job has none yet)."""

    customer_first_name: str | None
    job_number: str | None
    arrival_window: str | None
    technician: str | None
    invoice_number: str | None
    invoice_amount: str | None
    business_name: str | None


MERGE_FIELDS = tuple(f.name for f in fields(MergeValues))
FIELD_LABELS = {
    "customer_first_name": "Customer's first name",
    "job_number": "Job number",
    "arrival_window": "Arrival window",
    "technician": "Technician",
    "invoice_number": "Invoice number",
    "invoice_amount": "Invoice amount",
    "business_name": "Business name",
}


class UnknownMergeField(InvalidRequest):
    """A template or message names a merge field there is no such thing as."""

    kind = "unknown_merge_field"

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join("{" + n + "}" for n in names)
        known = ", ".join("{" + n + "}" for n in MERGE_FIELDS)
        one = len(names) == 1
        super().__init__(
            f"{listed} {'is not a merge field' if one else 'are not merge fields'};"
            f" the merge fields are {known}"
        )
        self.names = names


@dataclass(frozen=True)
class Template:
    tenant_id: str
    template_id: UUID
    name: str
    channel: str
    subject: str | None
    body: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class SaveTemplate(Command):
    """Create the template, or replace the one with this id."""

    template_id: UUID
    name: str
    channel: str
    subject: str | None
    body: str
    by: str


@dataclass(frozen=True)
class DeleteTemplate(Command):
    template_id: UUID


@dataclass(frozen=True)
class Merged:
    text: str
    missing: tuple[str, ...]  # fields the job has no value for, merged as nothing


def named_fields(text: str) -> list[str]:
    """The merge field names ``text`` uses, in order of first use."""
    return list(dict.fromkeys(_FIELD.findall(text)))


def check_fields(*texts: str | None) -> None:
    """UnknownMergeField naming every name in braces that is not a merge field."""
    unknown = [n for t in texts if t for n in named_fields(t) if n not in MERGE_FIELDS]
    if unknown:
        raise UnknownMergeField(list(dict.fromkeys(unknown)))


def merge(text: str, values: MergeValues) -> Merged:
    """``text`` with each merge field replaced by the job's value."""
    check_fields(text)
    known = {name: getattr(values, name) for name in named_fields(text)}
    missing = tuple(name for name, found in known.items() if found is None)
    return Merged(substitute(text, known), missing)


def substitute(text: str, values: Mapping[str, str | None]) -> str:
    """``text`` with each ``{name}`` of ``values`` replaced by its value (None: nothing);
    names not in ``values`` stay as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return (values[name] or "") if name in values else match.group(0)

    return _FIELD.sub(value, text)


def template(cmd: SaveTemplate) -> Template:
    """The template ``cmd`` saves, or InvalidRequest naming the rule it breaks."""
    name = cmd.name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise InvalidRequest(f"a template needs a name of 1 to {NAME_LIMIT} characters")
    if cmd.channel not in CHANNELS:
        raise InvalidRequest("a template is for text messages (sms) or emails (email)")
    limit = BODY_LIMITS[cmd.channel]
    if not cmd.body.strip() or len(cmd.body) > limit:
        raise InvalidRequest(f"a template needs a message of 1 to {limit} characters")
    subject = (cmd.subject or "").strip() or None
    if cmd.channel == "sms" and subject is not None:
        raise InvalidRequest("a text message template has no subject")
    if cmd.channel == "email" and (subject is None or len(subject) > SUBJECT_LIMIT):
        raise InvalidRequest(
            f"an email template needs a subject of 1 to {SUBJECT_LIMIT} characters"
        )
    check_fields(subject, cmd.body)
    return Template(
        cmd.tenant_id,
        cmd.template_id,
        name,
        cmd.channel,
        subject,
        cmd.body,
        cmd.occurred_at,
        cmd.by,
    )


def first_name(customer_name: str | None) -> str | None:
    """The first word of the customer's name (a person's given name)."""
    words = (customer_name or "").split()
    return words[0] if words else None


_SYMBOLS = {"USD": "$", "AUD": "$", "CAD": "$", "NZD": "$", "GBP": "£", "EUR": "€"}


def arrival_window(start: datetime, end: datetime, zone: str) -> str:
    """When the technician arrives, in the tenant's zone, in GSM-7 characters only:
    ``Tue 8 Dec between 09:00 and 11:00``."""
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    day = f"{a:%a} {a.day} {a:%b}"
    if a.date() == b.date():
        return f"{day} between {a:%H:%M} and {b:%H:%M}"
    return f"{day} {a:%H:%M} to {b:%a} {b.day} {b:%b} {b:%H:%M}"


def invoice_amount(amount: Decimal, currency: str) -> str:
    """``$1,234.50``, or ``1,234.50 SEK`` for a currency without a symbol here."""
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"

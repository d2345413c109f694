"""Jinja2 templates of the console (autoescaped) and the filters they format with."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from jobline_jobs.domain.accounts import actor_name
from jobline_jobs.domain.sms import GSM7_BASIC, GSM7_EXTENSION, LIMITS

HERE = Path(__file__).parent
STEP_LABELS = {
    "open_dispatch": "Open dispatch",
    "in_progress": "In progress",
    "awaiting_quality_check": "Awaiting quality check",
    "awaiting_billing": "Awaiting billing",
    "awaiting_payment": "Awaiting payment",
    "paid": "Paid",
    "canceled": "Canceled",
    "all": "All jobs",
    "completed_scheduled_today": "Completed, scheduled today",
    "deferred": "Deferred",
}


def _when(value: str | None, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime(fmt)


def _window(start: str, end: str, zone: str) -> str:
    return f"{_when(start, zone)}\u2013{_when(end, zone, '%H:%M')}"


def _money(amount: str | None, currency: str) -> str:
    return "" if amount is None else f"{currency} {Decimal(amount):,.2f}"


def _number(value: str | None) -> str:
    """A decimal without trailing zeros: 20.0000 → 20."""
    return "" if value is None else f"{Decimal(value).normalize():f}"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def _label(value: str) -> str:
    return STEP_LABELS.get(value, value.replace("_", " ").capitalize())


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _actor(actor: str | None) -> str:
    """Who acted, for a person: the user's name; a machine's actor as recorded."""
    return actor_name(actor) or actor or ""


templates.filters.update(
    when=_when, window=_window, money=_money, number=_number, size=_size, label=_label
)
templates.filters["actor"] = _actor  # issue 18
# The text dialog's live counter mirrors domain/sms.py from these, so there is one source.
templates.globals.update(
    gsm_basic="".join(sorted(GSM7_BASIC)),
    gsm_extension="".join(sorted(GSM7_EXTENSION)),
    sms_limits=LIMITS,
)


# Still moving: a text is "sent" before the carrier reports it delivered.
PENDING = frozenset({"queued", "unknown", "scheduled"})


def still_moving(communication: dict[str, Any]) -> bool:
    """Whether a communication's statuses may still change (the page keeps polling)."""
    statuses = {d["status"] for d in communication["deliveries"]}
    return bool(statuses & PENDING) or (communication["channel"] == "sms" and "sent" in statuses)


templates.globals["still_moving"] = still_moving


# Only our own scripts, styles and forms; never framed (clickjacking). htmx runs without eval.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    """The template ``name`` as an HTML response."""
    html = templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})

"""The tenant's settings page: every role sees them, an admin changes them (the API's
PATCH and logo upload decide; their refusals show on the page)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.domain.invoice_email import DEFAULT_BODY, DEFAULT_SUBJECT
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.dialogs import form_of, one
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
PAGE = "/console/settings"
API = "/v1/tenant/settings"
TEXT = (
    "business_name",
    "business_phone",
    "business_email",
    "tax_id",
    "tax_id_label",
    "invoice_email_subject",
    "invoice_email_body",
)
ADDRESS = ("line1", "line2", "city", "region", "postal_code", "country")
PERCENT = ("chargeback_percent", "default_tax_rate")  # fractions, entered as percentages


def _percent(entered: str) -> str:
    """A percentage as the API's fraction; what is not a number goes as typed, for the
    API to refuse by name."""
    try:
        return str(Decimal(entered) / 100)
    except InvalidOperation:
        return entered


def _patch(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The form as the API's PATCH: a blank optional field clears the setting."""
    patch: dict[str, Any] = {name: one(fields, name) or None for name in TEXT}
    patch["business_name"] = one(fields, "business_name")
    patch["invoice_title"] = one(fields, "invoice_title") or None
    address = {part: one(fields, f"address_{part}") or None for part in ADDRESS}
    patch["business_address"] = address if any(address.values()) else None
    patch["payment_terms_days"] = one(fields, "payment_terms_days")
    patch["brand_colour"] = one(fields, "brand_colour")
    patch["commission_split_rule"] = one(fields, "commission_split_rule")
    patch["invoice_revision_convention"] = one(fields, "invoice_revision_convention")
    for name in PERCENT:
        patch[name] = _percent(one(fields, name))
    return patch


def _page(
    request: Request,
    c: Console,
    settings: dict[str, Any],
    status: int = 200,
    **context: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    return render(
        request,
        "settings.html",
        status,
        who=c.who,
        csrf=c.csrf,
        s=settings,
        percents={
            name: f"{(Decimal(str(settings[name])) * 100).normalize():f}" for name in PERCENT
        },
        editable=c.who.role == "admin",
        default_subject=f"Blank: {DEFAULT_SUBJECT}",
        default_body=DEFAULT_BODY,
        **context,
    )


@router.get(PAGE)
async def settings_page(request: Request, c: ConsoleDep) -> HTMLResponse:
    return _page(request, c, await c.api.get(API))


@router.post(PAGE)
async def save_settings(request: Request, c: ConsoleDep) -> HTMLResponse:
    try:
        saved = await c.api.patch(API, _patch(await form_of(request)))
    except ApiRefusal as refusal:
        said = "Choose an image file to upload." if refusal.code == "file_required" else None
        settings = await c.api.get(API)
        return _page(request, c, settings, refusal.status, error=said or refusal.message)
    return _page(request, c, saved, saved_message="Settings saved.")


@router.post(f"{PAGE}/logo")
async def upload_logo(request: Request, c: ConsoleDep) -> HTMLResponse:
    try:  # streamed on as it arrives: the API counts it against the limit
        saved = await c.api.forward_upload("PUT", f"{API}/logo", request)
    except ApiRefusal as refusal:
        return _page(request, c, await c.api.get(API), refusal.status, error=refusal.message)
    return _page(request, c, saved, saved_message="Logo uploaded.")

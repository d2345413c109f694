"""The tenant's settings: anyone with a token reads them, an admin changes them."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobline_contracts.types import Address
from jobline_jobs.domain.documents import IMAGE_TYPES, sniff
from jobline_jobs.domain.tenant_settings import InvalidSetting, UpdateTenantSettings
from jobline_jobs.entrypoints.api.commanding import actor, execute, now
from jobline_jobs.entrypoints.api.deps import AdminDep, ApiRuntime, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, responses
from jobline_jobs.entrypoints.api.streamed_uploads import multipart_body, staged
from jobline_jobs.service_layer.queries import Principal

router = APIRouter(tags=["tenant"])
PATH = "/v1/tenant/settings"


class TenantSettingsView(BaseModel):
    business_name: str
    business_address: Address | None
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
    invoice_revision_convention: str
    invoice_email_subject: str | None = Field(
        description="Invoice emails' subject with {fields}; null: the default"
    )
    invoice_email_body: str | None = Field(
        description="Invoice emails' body with {fields} (invoice_number, job_number,"
        " business_name, amount_due); null: the default"
    )
    currency: str
    time_zone: str
    printed_invoice_title: str
    printed_tax_id_label: str
    updated_at: datetime | None
    updated_by: str | None


class TenantSettingsPatch(BaseModel):
    """The settings to change; a field left out stays as it is, null clears it."""

    model_config = ConfigDict(extra="forbid")

    business_name: str | None = None
    business_address: Address | None = None
    business_phone: str | None = None
    business_email: str | None = None
    tax_id: str | None = None
    tax_id_label: str | None = None
    invoice_title: str | None = None
    payment_terms_days: int | None = None
    logo_blob_key: str | None = None
    brand_colour: str | None = None
    chargeback_percent: Decimal | None = None
    commission_split_rule: str | None = None
    default_tax_rate: Decimal | None = None
    invoice_revision_convention: str | None = None
    invoice_email_subject: str | None = None
    invoice_email_body: str | None = None

    @field_validator("logo_blob_key")
    @classmethod
    def _only_cleared(cls, key: str | None) -> None:
        # A key is never taken from a client: it could name another tenant's file.
        if key is not None:
            raise ValueError(f"may only be null here; upload a logo with PUT {PATH}/logo")


async def _view(rt: ApiRuntime, who: Principal) -> TenantSettingsView:
    profile = await rt.invoices.tenant(who.tenant_id)
    return TenantSettingsView(
        **profile,
        printed_invoice_title=profile["printed_title"],
    )


async def _apply(rt: ApiRuntime, who: Principal, changes: dict[str, Any]) -> TenantSettingsView:
    command = UpdateTenantSettings(who.tenant_id, now(), changes, by=actor(who))
    try:
        await execute(rt, who, command)
    except ApiError as refusal:
        broken = refusal.__cause__
        if isinstance(broken, InvalidSetting):
            details = {"field": broken.field, "rule": broken.rule}
            raise ApiError(422, broken.kind, broken.reason, details) from broken
        raise
    return await _view(rt, who)


@router.get(
    PATH,
    response_model=TenantSettingsView,
    responses=responses(401),
    summary="The tenant's settings (any role)",
)
async def get_settings(who: PrincipalDep, rt: RuntimeDep) -> TenantSettingsView:
    return await _view(rt, who)


@router.patch(
    PATH,
    response_model=TenantSettingsView,
    responses=responses(401, 403, 422),
    summary="Change some of the tenant's settings (admin only; all or nothing)",
)
async def patch_settings(
    body: TenantSettingsPatch, who: AdminDep, rt: RuntimeDep
) -> TenantSettingsView:
    changes = {field: getattr(body, field) for field in body.model_fields_set}
    if isinstance(changes.get("business_address"), Address):
        changes["business_address"] = changes["business_address"].model_dump(mode="json")
    return await _apply(rt, who, changes)


@router.put(
    f"{PATH}/logo",
    response_model=TenantSettingsView,
    responses={
        **responses(401, 403, 422),
        413: {"description": "File too large"},
        415: {"description": "Not an accepted image type"},
    },
    openapi_extra=multipart_body(),
    summary="Upload the logo printed on invoices (admin only; PNG, JPEG or WebP)",
)
async def put_logo(request: Request, who: AdminDep, rt: RuntimeDep) -> TenantSettingsView:
    # The documents' rules: the upload limit counted as the file streams to the blob
    # store, and the type read from the bytes.
    async with staged(request, rt.blobs, who.tenant_id, rt.upload_limit) as upload:
        if sniff(upload.head) not in IMAGE_TYPES:
            allowed = ", ".join(sorted(IMAGE_TYPES))
            raise ApiError(415, "unsupported_type", f"a logo must be {allowed}; this file is not")
        # Content-addressed under the tenant: nothing the client sent steers where bytes
        # land. Kept once moved: the same logo uploaded before may be the one in use.
        await upload.move_to(f"{who.tenant_id}/tenant/logo/{upload.sha256}")
        upload.keep()
    return await _apply(rt, who, {"logo_blob_key": upload.key})

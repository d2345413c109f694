"""The tenant's single sign-on settings over the API (issue 18), admins only: read them
(never the client secret), set them (the issuer is checked first), remove them. The same
service as the console's page and ``jobline-jobs sso``."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from jobline_jobs.entrypoints.api.commanding import actor
from jobline_jobs.entrypoints.api.deps import AdminDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, responses
from jobline_jobs.service_layer.queries import Role
from jobline_jobs.service_layer.sign_on_ports import SignOnChange, SignOnShown
from jobline_jobs.service_layer.sign_on_settings import SettingRefused, SignOnSettings

router = APIRouter(tags=["tenant"])
PATH = "/v1/tenant/sso"
STATUS = {"not_configured": 404, "secrets_key_missing": 503}  # the rest: 422, bad input


class SsoView(BaseModel):
    configured: bool
    issuer: str | None = None
    client_id: str | None = None
    new_user_role: Role | None = Field(
        default=None, description="The role of an account made for a stranger the issuer "
        "vouches for; null: only invited users sign in"
    )  # fmt: skip
    updated_at: datetime | None = None
    updated_by: str | None = None


class SsoChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(max_length=500, description="Exactly the id tokens' iss (https)")
    client_id: str = Field(max_length=200)
    client_secret: str | None = Field(
        default=None, max_length=1000, description="Write-only; null or blank keeps the stored one"
    )
    new_user_role: Role | None = None


async def _service(rt: RuntimeDep) -> SignOnSettings:
    # The sign-in's own store and provider: a save's discovery fetch warms its cache.
    sign_on = rt.sign_on
    return SignOnSettings(sign_on.store, sign_on.provider, plain_loopback=sign_on.plain_loopback)


ServiceDep = Annotated[SignOnSettings, Depends(_service)]


def _view(shown: SignOnShown | None) -> SsoView:
    if shown is None:
        return SsoView(configured=False)
    return SsoView(
        configured=True,
        issuer=shown.issuer,
        client_id=shown.client_id,
        new_user_role=shown.new_user_role,
        updated_at=shown.updated_at,
        updated_by=shown.updated_by,
    )


def _refused(refusal: SettingRefused) -> ApiError:
    return ApiError(STATUS.get(refusal.code, 422), refusal.code, refusal.message)


@router.get(PATH, response_model=SsoView, responses=responses(401, 403))
async def show(who: AdminDep, service: ServiceDep) -> SsoView:
    """Whether the business signs in through an issuer, and which (admin only)."""
    return _view(await service.show(who.tenant_id))


@router.put(PATH, response_model=SsoView, responses=responses(401, 403, 422, 503))
async def configure(body: SsoChange, who: AdminDep, service: ServiceDep) -> SsoView:
    """Sign in through ``issuer`` (admin only). Its discovery document is fetched first:
    422 ``invalid_issuer``, ``issuer_unreachable``, ``not_an_issuer``,
    ``client_id_required`` or ``client_secret_required`` (the first time), nothing
    changed."""
    change = SignOnChange(
        who.tenant_id,
        body.issuer,
        body.client_id,
        body.client_secret,
        body.new_user_role,
        actor(who),
    )
    try:
        return _view(await service.configure(change))
    except SettingRefused as refusal:
        raise _refused(refusal) from refusal


@router.delete(PATH, status_code=204, responses=responses(401, 403, 404))
async def remove(who: AdminDep, service: ServiceDep) -> Response:
    """Stop signing in through the issuer (admin only); 404 ``not_configured``."""
    try:
        await service.remove(who.tenant_id)
    except SettingRefused as refusal:
        raise _refused(refusal) from refusal
    return Response(status_code=204)

"""The business's users over the API (issue 18): an admin lists them and changes a role;
a signed-in user changes their own password. Invites, resets and disabling stay with the
console's users page and ``jobline-jobs users``."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from jobline_jobs.domain.accounts import MAX_PASSWORD, AccountRefused
from jobline_jobs.entrypoints.api import rate_limits
from jobline_jobs.entrypoints.api.deps import AdminDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, responses
from jobline_jobs.service_layer import account_changes
from jobline_jobs.service_layer.account_ports import User
from jobline_jobs.service_layer.queries import Role

router = APIRouter(tags=["users"])
REFUSAL_STATUS = {"not_found": 404, "last_admin": 409, "wrong_password": 422, "locked": 429}


class UserView(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    status: "Status"
    two_step: bool


class UserList(BaseModel):
    items: list[UserView]


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=MAX_PASSWORD)
    new_password: str = Field(max_length=MAX_PASSWORD)


class PasswordChanged(BaseModel):
    other_sessions_ended: int


Status = Literal["invited", "active", "disabled"]


def _view(user: User) -> UserView:
    status: Status = "disabled" if user.disabled else "active" if user.has_password else "invited"
    return UserView(
        id=user.user_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        status=status,
        two_step=user.has_totp,
    )


def _refusal(refusal: AccountRefused) -> ApiError:
    return ApiError(REFUSAL_STATUS.get(refusal.code, 422), refusal.code, refusal.message)


@router.get("/v1/users", response_model=UserList, responses=responses(401, 403))
async def list_users(who: AdminDep, rt: RuntimeDep) -> UserList:
    """The tenant's users (admin only), by name."""
    return UserList(items=[_view(u) for u in await rt.accounts.store.users(who.tenant_id)])


@router.patch(
    "/v1/users/{user_id}", response_model=UserView, responses=responses(401, 403, 404, 409, 422)
)
async def change_role(user_id: UUID, body: RoleChange, who: AdminDep, rt: RuntimeDep) -> UserView:
    """Change a user's role (admin only); it holds from their next request. 409
    ``last_admin`` when it would leave the business without an enabled admin."""
    try:
        await account_changes.change_role(rt.accounts, who.tenant_id, user_id, body.role)
    except AccountRefused as refusal:
        raise _refusal(refusal) from refusal
    found = await rt.accounts.store.user(who.tenant_id, user_id)
    if found is None:
        raise ApiError(404, "not_found", "user not found")
    return _view(found)


@router.post(
    "/v1/account/password", response_model=PasswordChanged, responses=responses(401, 403, 422)
)
async def change_password(
    body: PasswordChange, request: Request, who: PrincipalDep, rt: RuntimeDep
) -> PasswordChanged:
    """The signed-in user's new password (a session's bearer only: a token has no password);
    ``current_password`` must match. Every other session of the user ends."""
    if who.user_id is None:
        raise ApiError(403, "forbidden", "an API token has no password to change")
    secret = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    address = rate_limits.client_address(request)
    passwords = (body.current_password, body.new_password)
    try:
        ended = await account_changes.change_password(rt.accounts, who, secret, passwords, address)
    except AccountRefused as refusal:
        raise _refusal(refusal) from refusal
    return PasswordChanged(other_sessions_ended=ended)

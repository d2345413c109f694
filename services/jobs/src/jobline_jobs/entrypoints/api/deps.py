"""Request dependencies: the caller's principal, the bus and the read models (ports of
the service layer; ``bootstrap`` puts their implementations on the app's state)."""

from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from jobline_infra.blob_store import BlobStore
from jobline_jobs.entrypoints.api import rate_limits
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.service_layer.accounts import SESSION_PREFIX, Accounts
from jobline_jobs.service_layer.job_page_queries import JobPageQueries
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.queries import (
    CommissionQueries,
    CommunicationQueries,
    IdempotencyLedger,
    InvoiceQueries,
    JobDetailsQueries,
    JobLists,
    Principal,
    Tokens,
)
from jobline_jobs.service_layer.reply_ports import ReplyQueries
from jobline_jobs.service_layer.sign_on import SignOn


class ApiRuntime(Protocol):
    """What the API needs from the running service."""

    tokens: Tokens
    queries: JobLists
    details: JobDetailsQueries
    commissions: CommissionQueries
    idempotency: IdempotencyLedger
    bus: MessageBus
    blobs: BlobStore
    upload_limit: int
    invoices: InvoiceQueries
    invoice_wait: float
    communications: CommunicationQueries
    job_page: JobPageQueries  # issue 18, the job page
    accounts: Accounts
    replies: ReplyQueries  # issue 20
    sign_on: SignOn  # issue 18: single sign-on

    async def readiness(self) -> dict[str, str]:
        """Each dependency with ``ok`` or what is wrong with it."""
        ...


_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer jl_…`")


def runtime_of(request: Request) -> ApiRuntime:
    found: ApiRuntime = request.app.state.runtime
    return found


async def runtime(request: Request) -> ApiRuntime:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, and that
    # hop cost every request more than reading an attribute should.
    return runtime_of(request)


RuntimeDep = Annotated[ApiRuntime, Depends(runtime)]


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await caller(request, credentials.credentials if credentials else None)


async def caller(request: Request, secret: str | None) -> Principal:
    """Who holds the bearer ``secret`` (an API token, or the console's session), their
    request counted against their rate limit; 401 if no one does."""
    if secret is None:
        raise ApiError(401, "unauthenticated", "send an API token as 'Authorization: Bearer …'")
    rt = runtime_of(request)
    # The console calls this API in-process as its signed-in user, with the session's
    # secret (the cookie's value) as the bearer.
    if secret.startswith(SESSION_PREFIX):
        found = await rt.accounts.principal(secret)
    else:
        found = await rt.tokens.resolve(secret)
    if found is None:
        raise ApiError(401, "unauthenticated", "the API token is unknown or revoked")
    await rate_limits.of(request).spend_api(str(found.token_id))
    return found


def bearer_secret(request: Request) -> str | None:
    """The secret of ``Authorization: Bearer <secret>``, read as ``HTTPBearer`` reads it."""
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    return secret if scheme.lower() == "bearer" and secret else None


PrincipalDep = Annotated[Principal, Depends(principal)]


async def operator(who: PrincipalDep) -> Principal:
    if who.role not in ("operator", "admin"):
        raise ApiError(403, "forbidden", f"a {who.role} cannot act on jobs")
    return who


OperatorDep = Annotated[Principal, Depends(operator)]


async def admin(who: PrincipalDep) -> Principal:
    if who.role != "admin":
        raise ApiError(403, "forbidden", f"a {who.role} token cannot change the tenant's settings")
    return who


AdminDep = Annotated[Principal, Depends(admin)]

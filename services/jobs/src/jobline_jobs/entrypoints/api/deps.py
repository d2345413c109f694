"""Request dependencies: the caller's principal and the read models."""

from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.commissions import Commissions
from jobline_jobs.adapters.communications import Communications
from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.invoices import Invoices
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_queries import JobQueries
from jobline_jobs.adapters.tokens import Principal, TokenStore
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.service_layer.messagebus import MessageBus


class ApiRuntime(Protocol):
    """What the API needs from the running service."""

    tokens: TokenStore
    queries: JobQueries
    details: JobDetails
    commissions: Commissions
    idempotency: IdempotencyKeys
    bus: MessageBus
    blobs: BlobStore
    upload_limit: int
    invoices: Invoices
    invoice_wait: float
    communications: Communications

    async def readiness(self) -> dict[str, str]:
        """Each dependency with ``ok`` or what is wrong with it."""
        ...


_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer jl_…`")


async def runtime(request: Request) -> ApiRuntime:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, and that
    # hop cost every request more than reading an attribute should.
    found: ApiRuntime = request.app.state.runtime
    return found


RuntimeDep = Annotated[ApiRuntime, Depends(runtime)]


async def principal(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send an API token as 'Authorization: Bearer …'")
    found = await rt.tokens.resolve(credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthenticated", "the API token is unknown or revoked")
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


async def operator(who: PrincipalDep) -> Principal:
    if who.role != "operator":
        raise ApiError(403, "forbidden", f"a {who.role} token cannot act on jobs")
    return who


OperatorDep = Annotated[Principal, Depends(operator)]

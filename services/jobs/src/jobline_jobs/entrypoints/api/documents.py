"""Photos and documents of jobs and properties, and what an email may attach."""

import uuid
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jobline_jobs.domain import commands
from jobline_jobs.domain.documents import DocumentKind, checked_type, safe_filename
from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.sends import invoice_filename
from jobline_jobs.entrypoints.api.commanding import Answer, execute, idempotent, now
from jobline_jobs.entrypoints.api.deps import ApiRuntime, OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.presenters import invoiceable
from jobline_jobs.entrypoints.api.streamed_uploads import StagedUpload, multipart_body, staged
from jobline_jobs.service_layer.queries import Principal

router = APIRouter(tags=["documents"])
# The routes that take a file (documents; the tenant's logo, in the API and the console):
# their bodies may reach the upload limit, not the JSON one.
UPLOAD_PATHS = (
    r"/v1/(jobs|properties)/[^/]+/documents|/v1/tenant/settings/logo|/console/settings/logo"
    r"|/console/jobs/[^/]+/documents"  # issue 18: the job page's upload
)
UPLOAD_BODY = multipart_body(kind={"type": "string", "enum": [k.value for k in DocumentKind]})
UPLOAD_ERRORS = {
    **responses(401, 403, 404, 409, 422),
    413: {"description": "File too large"},
    415: {"description": "Not an accepted file type"},
}


class Document(BaseModel):
    id: UUID
    kind: DocumentKind
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None


class Attachment(BaseModel):
    kind: Literal["progress_photo", "finished_photo", "document", "invoice"]
    id: UUID
    source: Literal["job", "property", "invoice"]
    filename: str
    content_type: str
    size_bytes: int | None


class Attachments(BaseModel):
    items: list[Attachment]


def _kind(fields: dict[str, str]) -> DocumentKind:
    """The form's ``kind`` (FastAPI's words for what its ``Form()`` refused)."""
    if "kind" not in fields:
        raise ApiError(422, "invalid_request", "kind: Field required")
    try:
        return DocumentKind(fields["kind"])
    except ValueError:
        *others, last = (f"'{k.value}'" for k in DocumentKind)
        allowed = f"{', '.join(others)} or {last}"
        raise ApiError(422, "invalid_request", f"kind: Input should be {allowed}") from None


def _fingerprint(kind: DocumentKind, upload: StagedUpload) -> bytes:
    """What makes two uploads the same request: the kind, the name and the bytes."""
    return f"{kind.value}\n{upload.filename}\n{upload.sha256}".encode()


async def _add(
    rt: ApiRuntime,
    who: Principal,
    place: tuple[str, UUID],
    kind: DocumentKind,
    upload: StagedUpload,
) -> Answer:
    """The staged file becomes the document: checked, moved to its key, recorded."""
    if upload.size == 0:
        raise ApiError(422, "invalid_request", "the file is empty")
    try:
        content_type = checked_type(kind, upload.head)
    except InvalidRequest as refusal:
        raise ApiError(415, "unsupported_type", refusal.reason) from refusal
    (owner, owner_id), document_id = place, uuid.uuid4()
    name = safe_filename(upload.filename, content_type)
    # The key is made of ids only: nothing the client sent can steer where bytes land.
    await upload.move_to(f"{who.tenant_id}/{owner}/{owner_id}/documents/{document_id}")
    cmd = commands.AddDocument(
        who.tenant_id,
        now(),
        document_id,
        owner_id if owner == "jobs" else None,
        owner_id if owner == "properties" else None,
        kind.value,
        upload.key,
        name,
        content_type,
        upload.size,
        upload.sha256,
    )
    await execute(rt, who, cmd)
    upload.keep()
    document = Document(
        id=document_id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size_bytes=upload.size,
        sha256=upload.sha256,
    )
    return 201, document


async def _upload(
    request: Request, rt: ApiRuntime, who: Principal, owner: str, owner_id: UUID
) -> JSONResponse:
    """Stream the file to the blob store, then add it once per Idempotency-Key: a replay
    or a refusal leaves the staged copy deleted."""
    async with staged(request, rt.blobs, who.tenant_id, rt.upload_limit) as upload:
        kind = _kind(upload.fields)
        return await idempotent(
            request,
            rt,
            who,
            lambda: _add(rt, who, (owner, owner_id), kind, upload),
            _fingerprint(kind, upload),
        )


@router.post(
    "/v1/jobs/{job_id}/documents",
    response_model=Document,
    status_code=201,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
    summary="Upload a progress photo, finished photo or document",
)
async def upload_job_document(
    job_id: UUID, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    # Before a byte of the body is read: a stranger's or a missing job costs nothing.
    if await rt.details.attachments(who.tenant_id, job_id) is None:
        raise not_found("job")
    return await _upload(request, rt, who, "jobs", job_id)


@router.post(
    "/v1/properties/{property_id}/documents",
    response_model=Document,
    status_code=201,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
    tags=["documents"],
    summary="Upload a document or photo of a property",
)
async def upload_property_document(
    property_id: UUID, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    if not await rt.details.property_exists(who.tenant_id, property_id):
        raise not_found("property")
    return await _upload(request, rt, who, "properties", property_id)


@router.get(
    "/v1/jobs/{job_id}/attachments",
    response_model=Attachments,
    responses=responses(401, 404, 422),
    summary="What an email about the job may attach",
)
async def attachments(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Attachments:
    files = await rt.details.attachments(who.tenant_id, job_id)
    job = await rt.details.job(who.tenant_id, job_id)
    if files is None or job is None:
        raise not_found("job")
    items = [
        Attachment(
            kind=f["kind"],
            id=f["document_id"],
            source=f["source"],
            filename=f["filename"],
            content_type=f["content_type"],
            size_bytes=f["size_bytes"],
        )
        for f in files
    ]
    if invoiceable(job):
        items.append(
            Attachment(
                kind="invoice",
                id=job_id,
                source="invoice",
                filename=invoice_filename(job["invoice_number"]),
                content_type="application/pdf",
                size_bytes=None,
            )
        )
    return Attachments(items=items)

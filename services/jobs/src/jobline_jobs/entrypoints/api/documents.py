"""Photos and documents of jobs and properties, and what an email may attach."""

import hashlib
import uuid
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jobline_jobs.domain import commands
from jobline_jobs.domain.documents import DocumentKind, checked_type, safe_filename
from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.entrypoints.api.commanding import Answer, execute, idempotent, now
from jobline_jobs.entrypoints.api.deps import ApiRuntime, OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.presenters import invoiceable
from jobline_jobs.service_layer.queries import Principal

router = APIRouter(tags=["documents"])
# The routes that take a file (documents; the tenant's logo, in the API and the console):
# their bodies may reach the upload limit, not the JSON one.
UPLOAD_PATHS = (
    r"/v1/(jobs|properties)/[^/]+/documents|/v1/tenant/settings/logo|/console/settings/logo"
    r"|/console/jobs/[^/]+/documents"  # issue 18: the job page's upload
)
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


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "too_large", f"the file is over the {limit}-byte upload limit")
    if not data:
        raise ApiError(422, "invalid_request", "the file is empty")
    return data


async def _store(
    rt: ApiRuntime,
    who: Principal,
    *,
    owner: str,
    owner_id: UUID,
    kind: DocumentKind,
    upload: UploadFile,
) -> tuple[commands.AddDocument, Document]:
    data = await _read_limited(upload, rt.upload_limit)
    try:
        content_type = checked_type(kind, data[:16])
    except InvalidRequest as refusal:
        raise ApiError(415, "unsupported_type", refusal.reason) from refusal
    document_id, digest = uuid.uuid4(), hashlib.sha256(data).hexdigest()
    name = safe_filename(upload.filename, content_type)
    # The key is made of ids only: nothing the client sent can steer where bytes land.
    key = f"{who.tenant_id}/{owner}/{owner_id}/documents/{document_id}"
    await rt.blobs.put(key, data)
    cmd = commands.AddDocument(
        who.tenant_id,
        now(),
        document_id,
        owner_id if owner == "jobs" else None,
        owner_id if owner == "properties" else None,
        kind.value,
        key,
        name,
        content_type,
        len(data),
        digest,
    )
    return cmd, Document(
        id=document_id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
    )


async def _fingerprint(kind: DocumentKind, upload: UploadFile) -> bytes:
    """What makes two uploads the same request: the kind, the name and the bytes."""
    digest = hashlib.sha256()
    while chunk := await upload.read(1024 * 1024):
        digest.update(chunk)
    await upload.seek(0)
    return f"{kind.value}\n{upload.filename}\n".encode() + digest.digest()


@router.post(
    "/v1/jobs/{job_id}/documents",
    response_model=Document,
    status_code=201,
    responses=UPLOAD_ERRORS,
    summary="Upload a progress photo, finished photo or document",
)
async def upload_job_document(
    job_id: UUID,
    request: Request,
    who: OperatorDep,
    rt: RuntimeDep,
    kind: Annotated[DocumentKind, Form()],
    file: Annotated[UploadFile, File()],
) -> JSONResponse:
    async def act() -> Answer:
        if await rt.details.attachments(who.tenant_id, job_id) is None:
            raise not_found("job")
        cmd, document = await _store(rt, who, owner="jobs", owner_id=job_id, kind=kind, upload=file)
        await execute(rt, who, cmd)
        return 201, document

    return await idempotent(request, rt, who, act, await _fingerprint(kind, file))


@router.post(
    "/v1/properties/{property_id}/documents",
    response_model=Document,
    status_code=201,
    responses=UPLOAD_ERRORS,
    tags=["documents"],
    summary="Upload a document or photo of a property",
)
async def upload_property_document(
    property_id: UUID,
    request: Request,
    who: OperatorDep,
    rt: RuntimeDep,
    kind: Annotated[DocumentKind, Form()],
    file: Annotated[UploadFile, File()],
) -> JSONResponse:
    async def act() -> Answer:
        if not await rt.details.property_exists(who.tenant_id, property_id):
            raise not_found("property")
        cmd, document = await _store(
            rt, who, owner="properties", owner_id=property_id, kind=kind, upload=file
        )
        await execute(rt, who, cmd)
        return 201, document

    return await idempotent(request, rt, who, act, await _fingerprint(kind, file))


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
                filename=f"invoice-{job['job_number']}.pdf",
                content_type="application/pdf",
                size_bytes=None,
            )
        )
    return Attachments(items=items)

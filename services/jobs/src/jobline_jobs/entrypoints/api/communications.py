"""Texting and emailing customers from a job, resending its invoice, and the history."""

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from jobline_jobs.adapters.communications import Draft, StoredFile
from jobline_jobs.adapters.tokens import Principal
from jobline_jobs.domain import communications as rules
from jobline_jobs.domain.errors import Conflict, Rejected
from jobline_jobs.entrypoints.api.commanding import Answer, actor, held_key, idempotent, refused
from jobline_jobs.entrypoints.api.deps import ApiRuntime, OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.invoices import current_pdf
from jobline_jobs.entrypoints.api.schemas import Text

router = APIRouter(tags=["communications"])
POST_ERRORS = responses(401, 403, 404, 409, 422)


class Recipient(BaseModel):
    id: UUID
    name: str
    phone: str | None
    email: str | None
    opted_out: bool = Field(description="Replied STOP: texts to this phone are refused")


class Recipients(BaseModel):
    items: list[Recipient]


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["progress_photo", "finished_photo", "document", "invoice"]
    id: UUID


class CommunicationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "email"]
    recipient_ids: list[UUID] = Field(min_length=1, max_length=20)
    body: Text = Field(min_length=1, max_length=20000)
    subject: Text | None = Field(default=None, max_length=250)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)
    send_at: AwareDatetime | None = Field(default=None, description="Later; now when absent")


class InvoiceSendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient_ids: list[UUID] = Field(min_length=1, max_length=20)
    message: Text | None = Field(default=None, max_length=5000)


class Accepted(BaseModel):
    communication_id: UUID
    status: Literal["queued", "scheduled"]


class Delivery(BaseModel):
    id: UUID
    recipient_id: UUID
    recipient_name: str
    address: str
    status: str
    error_code: str | None
    error_message: str | None
    updated_at: datetime


class Communication(BaseModel):
    id: UUID
    job_id: UUID
    channel: str
    subject: str | None
    body: str
    attachments: list[dict[str, Any]]
    send_at: datetime
    requested_by: str
    created_at: datetime
    invoice_number: str | None = None
    invoice_pdf_sha256: str | None = None
    deliveries: list[Delivery]


class CommunicationList(BaseModel):
    items: list[Communication]


def _present(c: dict[str, Any]) -> Communication:
    return Communication(
        id=c["communication_id"],
        job_id=c["job_id"],
        channel=c["channel"],
        subject=c["subject"],
        body=c["body"],
        attachments=c["attachments"],
        send_at=c["send_at"],
        requested_by=c["requested_by"],
        created_at=c["created_at"],
        invoice_number=c["invoice_number"],
        invoice_pdf_sha256=c["pdf_sha256"],
        deliveries=[
            Delivery(id=d["delivery_id"], **{k: v for k, v in d.items() if k != "delivery_id"})
            for d in c["deliveries"]
        ],
    )


@router.get(
    "/v1/jobs/{job_id}/recipients",
    response_model=Recipients,
    responses=responses(401, 404, 422),
    summary="The job's customer and property contacts, with opt-out state",
)
async def recipients(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Recipients:
    contacts = await rt.communications.contacts(who.tenant_id, job_id)
    if contacts is None:
        raise not_found("job")
    opted_out = await rt.communications.opted_out(who.tenant_id)
    return Recipients(
        items=[
            Recipient(
                id=c.contact_id,
                name=c.name,
                phone=c.phone,
                email=c.email,
                opted_out=c.phone in opted_out,
            )
            for c in contacts.values()
        ]
    )


async def _send(
    rt: ApiRuntime,
    who: Principal,
    job_id: UUID,
    body: CommunicationRequest,
    invoice: dict[str, str] | None = None,
) -> Accepted:
    contacts = await rt.communications.contacts(who.tenant_id, job_id)
    if contacts is None:
        raise not_found("job")
    wanted = [(a.kind, a.id) for a in body.attachments]
    try:
        rules.check_content(body.channel, body.body, body.subject, wanted)
        chosen = rules.recipients(
            body.channel,
            body.recipient_ids,
            contacts,
            await rt.communications.opted_out(who.tenant_id),
        )
        files = await rt.communications.files(who.tenant_id, job_id)
        if ("invoice", job_id) in wanted:
            pdf = invoice or await current_pdf(rt, who, job_id)
            files[("invoice", job_id)] = pdf_file(job_id, pdf)
            invoice = pdf
        attached = rules.attachments(wanted, {k: f.file for k, f in files.items()})
    except Rejected as refusal:
        raise ApiError(422, "invalid_request", refusal.reason) from refusal
    stored = [files[(f.kind, f.file_id)] for f in attached]
    if any(f.sha256 is None for f in stored):
        raise ApiError(
            422,
            "invalid_request",
            "an attachment announced by the dispatch system"
            " has no digest; upload it through the API to attach it",
        )
    send_at = body.send_at or datetime.now(UTC)
    draft = Draft(
        who.tenant_id, job_id, body.channel, body.subject, body.body, send_at, actor(who), stored
    )
    try:
        communication_id = await rt.communications.save(draft, chosen, invoice, held_key())
    except Conflict as taken_over:  # a retry took this request's Idempotency-Key over
        raise refused(taken_over) from taken_over
    return Accepted(
        communication_id=communication_id,
        status="scheduled" if send_at > datetime.now(UTC) else "queued",
    )


def pdf_file(job_id: UUID, pdf: dict[str, str]) -> StoredFile:
    return StoredFile(
        rules.File("invoice", job_id, int(pdf["bytes"])),
        pdf["blob_key"],
        f"{pdf['number']}.pdf",
        "application/pdf",
        pdf["pdf_sha256"],
    )


@router.post(
    "/v1/jobs/{job_id}/communications",
    response_model=Accepted,
    status_code=202,
    responses=POST_ERRORS,
    summary="Text or email the job's customer (now or later)",
)
async def send(
    job_id: UUID, body: CommunicationRequest, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    async def act() -> Answer:
        return 202, await _send(rt, who, job_id, body)

    return await idempotent(request, rt, who, act)


@router.get(
    "/v1/jobs/{job_id}/communications",
    response_model=CommunicationList,
    responses=responses(401, 404, 422),
    summary="Every communication of the job",
)
async def of_job(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> CommunicationList:
    if await rt.communications.contacts(who.tenant_id, job_id) is None:
        raise not_found("job")
    found = await rt.communications.of_job(who.tenant_id, job_id)
    return CommunicationList(items=[_present(c) for c in found])


@router.get(
    "/v1/communications/{communication_id}",
    response_model=Communication,
    responses=responses(401, 404, 422),
    summary="A communication, per recipient",
)
async def one(communication_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Communication:
    found = await rt.communications.one(who.tenant_id, communication_id)
    if found is None:
        raise not_found("communication")
    return _present(found)


@router.post(
    "/v1/jobs/{job_id}/invoice/sends",
    response_model=Accepted,
    status_code=202,
    responses={**POST_ERRORS, 503: {"description": "The PDF is still rendering"}},
    summary="Email the current invoice PDF to chosen recipients",
)
async def resend_invoice(
    job_id: UUID, body: InvoiceSendRequest, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    async def act() -> Answer:
        pdf = await current_pdf(rt, who, job_id)
        message = body.message or f"Please find attached invoice {pdf['number']}."
        email = CommunicationRequest(
            channel="email",
            recipient_ids=body.recipient_ids,
            body=message,
            subject=f"Invoice {pdf['number']}",
            attachments=[AttachmentRef(kind="invoice", id=job_id)],
        )
        return 202, await _send(rt, who, job_id, email, invoice=pdf)

    return await idempotent(request, rt, who, act)


@router.get(
    "/v1/jobs/{job_id}/invoice/sends",
    response_model=CommunicationList,
    responses=responses(401, 404, 422),
    summary="Every send of the job's invoice",
)
async def invoice_sends(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> CommunicationList:
    if await rt.communications.contacts(who.tenant_id, job_id) is None:
        raise not_found("job")
    found = await rt.communications.of_job(who.tenant_id, job_id)
    return CommunicationList(items=[_present(c) for c in found if c["invoice_number"]])

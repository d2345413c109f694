"""Texting and emailing customers from a job, resending its invoice, and the history."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from jobline_jobs.domain import commands
from jobline_jobs.domain.accounts import actor_name
from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.entrypoints.api import cursor
from jobline_jobs.entrypoints.api.commanding import Answer, execute, idempotent, now
from jobline_jobs.entrypoints.api.deps import ApiRuntime, OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.invoices import current_pdf
from jobline_jobs.entrypoints.api.schemas import OneLine, Text
from jobline_jobs.entrypoints.api.wording import worded
from jobline_jobs.service_layer.queries import Principal

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
    subject: OneLine | None = Field(default=None, max_length=250)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)
    send_at: AwareDatetime | None = Field(default=None, description="Later; now when absent")
    merge_fields: bool = Field(
        default=False,
        description="Merge the job's values into {merge_field}s of body and subject first"
        " (a name that is no merge field: 422 unknown_merge_field)",
    )
    plain_punctuation: bool = Field(
        default=False,
        description="Replace typographic quotes, dashes, … and no-break spaces with their"
        " GSM-7 forms (after merging), so a pasted \u2019 does not cut a text to 70 characters",
    )


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
    # issue 20: an email's first open and latest deferral, as its provider reported them
    opened_at: datetime | None = None
    deferred_reason: str | None = Field(
        default=None, description="The receiving server's words at the latest deferral"
    )


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

    @computed_field(description="The name of the user who sent it; null for a machine")  # type: ignore[prop-decorator]
    @property
    def requested_by_name(self) -> str | None:
        return actor_name(self.requested_by)


class CommunicationList(BaseModel):
    items: list[Communication]
    next_cursor: str | None = Field(
        default=None, description="Pass as cursor for the next page; null on the last"
    )


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200, description="Communications per page")
    cursor: str | None = Field(
        default=None, max_length=500, description="next_cursor of the previous page"
    )


def present(c: dict[str, Any]) -> Communication:
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
    invoice: commands.InvoicePdf | None = None,
) -> Accepted:
    wanted = tuple((a.kind, a.id) for a in body.attachments)
    if invoice is None and body.channel == "email" and ("invoice", job_id) in wanted:
        invoice = await current_pdf(rt, who, job_id)
    text, subject = await worded(
        rt,
        who,
        job_id,
        (body.body, body.subject),
        merge_fields=body.merge_fields,
        plain=body.plain_punctuation,
    )
    at = now()
    command = commands.SendCommunication(
        who.tenant_id,
        at,
        job_id,
        communication_id=uuid.uuid4(),
        channel=body.channel,
        recipient_ids=tuple(body.recipient_ids),
        body=text,
        subject=subject,
        attachments=wanted,
        send_at=body.send_at or at,
        invoice=invoice,
    )
    await _execute(rt, who, command, command.communication_id)
    return Accepted(
        communication_id=command.communication_id,
        status="scheduled" if command.send_at > at else "queued",
    )


async def _execute(
    rt: ApiRuntime, who: Principal, command: commands.Command, communication_id: UUID
) -> None:
    """Run the send as the request named by its communication id; a message the rules
    refuse is an invalid request, like one the schema refuses."""
    try:
        await execute(rt, who, command, message_id=communication_id)
    except ApiError as refusal:
        if refusal.code != InvalidRequest.kind:
            raise
        raise ApiError(422, "invalid_request", refusal.message) from refusal


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
    summary="A page of the job's communications, oldest first",
)
async def of_job(
    job_id: UUID, who: PrincipalDep, rt: RuntimeDep, page: Annotated[PageParams, Query()]
) -> CommunicationList:
    return await _page(rt, who, job_id, page, invoices_only=False)


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
    return present(found)


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
        command = commands.SendInvoice(
            who.tenant_id,
            now(),
            job_id,
            communication_id=uuid.uuid4(),
            recipient_ids=tuple(body.recipient_ids),
            message=body.message,
            invoice=await current_pdf(rt, who, job_id),
        )
        await _execute(rt, who, command, command.communication_id)
        return 202, Accepted(communication_id=command.communication_id, status="queued")

    return await idempotent(request, rt, who, act)


@router.get(
    "/v1/jobs/{job_id}/invoice/sends",
    response_model=CommunicationList,
    responses=responses(401, 404, 422),
    summary="A page of the sends of the job's invoice, oldest first",
)
async def invoice_sends(
    job_id: UUID, who: PrincipalDep, rt: RuntimeDep, page: Annotated[PageParams, Query()]
) -> CommunicationList:
    return await _page(rt, who, job_id, page, invoices_only=True)


async def _page(
    rt: ApiRuntime, who: Principal, job_id: UUID, page: PageParams, *, invoices_only: bool
) -> CommunicationList:
    """One page in one query (the console polls these); the cursor names the list."""
    query_id = cursor.fingerprint("communications", job_id, invoices_only)
    after = cursor.decode_id(page.cursor, query_id) if page.cursor else None
    found = await rt.communications.page(
        who.tenant_id, job_id, limit=page.limit, after=after, invoices_only=invoices_only
    )
    if found is None:
        raise not_found("job")
    rows, more = found
    items = [present(c) for c in rows]
    last = items[-1] if items and more else None
    next_cursor = cursor.encode(last.created_at, str(last.id), query_id) if last else None
    return CommunicationList(items=items, next_cursor=next_cursor)

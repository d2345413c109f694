"""A job's conversation and the tenant's inbox of replies (issue 20)."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from jobline_jobs.domain.accounts import actor_name
from jobline_jobs.domain.replies import MarkRepliesRead
from jobline_jobs.entrypoints.api import cursor
from jobline_jobs.entrypoints.api.commanding import actor, execute, now
from jobline_jobs.entrypoints.api.deps import OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import not_found, responses

router = APIRouter(tags=["replies"])


class ReplyFile(BaseModel):
    blob_key: str
    filename: str = Field(description="As the sender named it")
    content_type: str
    size_bytes: int


class RefusedFile(BaseModel):
    filename: str
    content_type: str
    size_bytes: int | None
    reason: str = Field(description="Why it was not stored (size, type)")


class Reply(BaseModel):
    kind: Literal["reply"] = "reply"
    id: UUID
    job_id: UUID | None = Field(description="None: in the inbox, matched to no job")
    job_number: str | None = None
    in_reply_to: UUID | None = Field(description="The communication it answers")
    channel: str
    sender: str = Field(description="The phone number or email address it came from")
    subject: str | None
    body: str
    files: list[ReplyFile] = Field(description="Stored; on a job, also its documents")
    refused_files: list[RefusedFile]
    received_at: datetime
    read_at: datetime | None
    read_by: str | None


class MessageDelivery(BaseModel):
    id: UUID
    recipient_name: str
    address: str
    status: str
    error_code: str | None
    error_message: str | None
    updated_at: datetime
    # issue 20: an email's first open and latest deferral, as its provider reported them
    opened_at: datetime | None = None
    deferred_reason: str | None = None


class Message(BaseModel):
    kind: Literal["message"] = "message"
    id: UUID = Field(description="The communication's id")
    channel: str
    subject: str | None
    body: str
    attachments: list[dict[str, Any]]
    created_at: datetime
    send_at: datetime
    requested_by: str
    requested_by_name: str | None
    deliveries: list[MessageDelivery] = Field(description="Per recipient, with its status")


class Conversation(BaseModel):
    items: list[Message | Reply] = Field(description="Oldest first")
    next_cursor: str | None = Field(default=None, description="null on the last page")


class Inbox(BaseModel):
    unread: int = Field(description="Replies nobody has read yet")
    items: list[Reply] = Field(description="Newest first")
    next_cursor: str | None = None


class ReadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply_ids: list[UUID] = Field(min_length=1, max_length=200)


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500, description="next_cursor")


class InboxParams(PageParams):
    unread_only: bool = Field(default=False, description="Only the replies nobody read")


class ReadAnswer(BaseModel):
    unread: int


def _reply(r: dict[str, Any]) -> Reply:
    return Reply(
        id=r["reply_id"],
        job_id=r["job_id"],
        job_number=r.get("job_number"),
        in_reply_to=r["in_reply_to"],
        channel=r["channel"],
        sender=r["sender"],
        subject=r["subject"],
        body=r["body"],
        files=r["files"],
        refused_files=r["refused"],
        received_at=r["received_at"],
        read_at=r["read_at"],
        read_by=r["read_by"],
    )


def _message(m: dict[str, Any]) -> Message:
    return Message(
        id=m["id"],
        channel=m["channel"],
        subject=m["subject"],
        body=m["body"],
        attachments=m["attachments"],
        created_at=m["at"],
        send_at=m["send_at"],
        requested_by=m["requested_by"],
        requested_by_name=actor_name(m["requested_by"]),
        deliveries=[{**d, "id": d["delivery_id"]} for d in m["deliveries"]],  # type: ignore[misc]
    )


@router.get(
    "/v1/jobs/{job_id}/conversation",
    response_model=Conversation,
    responses=responses(401, 404, 422),
    summary="Every message sent from the job, per recipient, and every reply, in order",
)
async def conversation(
    job_id: UUID, who: PrincipalDep, rt: RuntimeDep, page: Annotated[PageParams, Query()]
) -> Conversation:
    query_id = cursor.fingerprint("conversation", job_id)
    after = cursor.decode_id(page.cursor, query_id) if page.cursor else None
    found = await rt.replies.conversation(who.tenant_id, job_id, limit=page.limit, after=after)
    if found is None:
        raise not_found("job")
    rows, more = found
    items = [_message(i) if i["kind"] == "message" else _reply(i) for i in rows]
    last = rows[-1] if rows and more else None
    next_cursor = cursor.encode(last["at"], str(last["id"]), query_id) if last else None
    return Conversation(items=items, next_cursor=next_cursor)


@router.get(
    "/v1/inbox",
    response_model=Inbox,
    responses=responses(401, 422),
    summary="The tenant's replies, newest first, with how many are unread",
)
async def inbox(who: PrincipalDep, rt: RuntimeDep, page: Annotated[InboxParams, Query()]) -> Inbox:
    query_id = cursor.fingerprint("inbox", page.unread_only)
    before = cursor.decode_id(page.cursor, query_id) if page.cursor else None
    rows, more = await rt.replies.inbox(
        who.tenant_id, limit=page.limit, before=before, unread_only=page.unread_only
    )
    last = rows[-1] if rows and more else None
    next_cursor = (
        cursor.encode(last["received_at"], str(last["reply_id"]), query_id) if last else None
    )
    unread = await rt.replies.unread(who.tenant_id)
    return Inbox(unread=unread, items=[_reply(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/v1/inbox/read",
    response_model=ReadAnswer,
    responses=responses(401, 403, 422),
    summary="Mark replies read",
)
async def mark_read(body: ReadRequest, who: OperatorDep, rt: RuntimeDep) -> ReadAnswer:
    cmd = MarkRepliesRead(who.tenant_id, now(), tuple(body.reply_ids), actor(who))
    await execute(rt, who, cmd)
    return ReadAnswer(unread=await rt.replies.unread(who.tenant_id))

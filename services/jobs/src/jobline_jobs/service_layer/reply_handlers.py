"""Handlers of issue 20: a customer's reply filed under its job (its files the job's
documents) or in the tenant's inbox; replies marked read."""

from collections.abc import Awaitable, Callable
from typing import Any

from jobline_jobs.domain import commands
from jobline_jobs.domain.errors import InvalidRequest
from jobline_jobs.domain.replies import MarkRepliesRead, RecordReply, Reply
from jobline_jobs.service_layer.unit_of_work import UnitOfWork

REPLY_DOCUMENT_KIND = "document"  # photos too: a document may be any accepted type


async def record_reply(cmd: RecordReply, uow: UnitOfWork) -> None:
    match = await uow.replies.latest_to(cmd.tenant_id, cmd.channel, cmd.sender)
    # The job's lock orders the reply's documents and event after the job's earlier ones.
    job = await uow.jobs.get(cmd.tenant_id, match.job_id) if match else None
    reply = Reply.file(cmd, match if job is not None else None)
    uow.replies.add(reply)
    if job is None:
        return
    for n, (document_id, file) in enumerate(zip(reply.document_ids(), cmd.files, strict=True)):
        name = reply.document_name(n)
        added = commands.AddDocument(
            cmd.tenant_id,
            cmd.occurred_at,
            document_id,
            job.job_id,
            None,
            REPLY_DOCUMENT_KIND,
            file.blob_key,
            name,
            file.content_type,
            file.size_bytes,
            file.sha256,
        )
        if await uow.directory.add_document(added):
            job.add_document(document_id, REPLY_DOCUMENT_KIND, name)


async def mark_replies_read(cmd: MarkRepliesRead, uow: UnitOfWork) -> None:
    found = await uow.replies.mark_read(cmd.tenant_id, cmd.reply_ids, cmd.by)
    if found < len(set(cmd.reply_ids)):
        raise InvalidRequest("some of these replies are not this tenant's")


HANDLERS: dict[type[commands.Command], Callable[[Any, UnitOfWork], Awaitable[None]]] = {
    RecordReply: record_reply,
    MarkRepliesRead: mark_replies_read,
}

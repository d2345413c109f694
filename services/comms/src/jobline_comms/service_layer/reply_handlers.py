"""Customers' replies that are not STOP/START (issue 20): their files stored, the reply
reported to jobs (``reply.received``), which files it under a job or in the inbox.

A reply is recorded once per provider id (a text's MessageSid, an email's Message-ID):
the provider's retry, or a signed request replayed, changes nothing."""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from jobline_comms.domain.commands import Causation
from jobline_comms.domain.inbound import (
    MAX_FILES,
    RefusedFile,
    ReplyReceived,
    StoredFile,
    file_problem,
    reply_id_of,
    sniff,
    tenant_of_address,
)
from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.reply_ports import ReplyServices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file a reply carried: its bytes (None when over the limit: not kept), the name
    and type the sender gave, its size."""

    filename: str
    content_type: str
    data: bytes | None
    size: int


def _replies(services: Services) -> ReplyServices:
    if services.replies is None:
        raise RuntimeError("replies are not set up")
    return services.replies


async def tenant_of_text(number: str, phone: str, services: Services) -> str | None:
    """The tenant whose number ``number`` is; on a number several tenants share (the
    default one), the one that last texted ``phone`` from it. None: nobody's."""
    configured = frozenset(services.senders.tenants_of_number(number))
    if len(configured) == 1:
        return next(iter(configured))
    if not configured and number != services.senders.default_sms:
        return None
    routing = _replies(services).routing
    return await routing.latest_tenant_texting(number, phone, configured or None)


def tenant_of_email(addresses: Sequence[str], services: Services) -> str | None:
    replies = _replies(services)
    for address in addresses:
        tenant = tenant_of_address(address, replies.reply_domain, dict(replies.reply_addresses))
        if tenant is not None:
            return tenant
    return None


@dataclass(frozen=True)
class IncomingText:
    sid: str
    phone: str
    tenant_id: str
    body: str
    media: Sequence[tuple[str, str]]  # URL, declared type


@dataclass(frozen=True)
class IncomingEmail:
    message_key: str  # its Message-ID, or a digest of what it says
    tenant_id: str
    sender: str
    subject: str | None
    body: str
    files: Sequence[IncomingFile]


async def receive_text(text: IncomingText, services: Services) -> UUID | None:
    """A text to the tenant's number, with its MMS media fetched from the provider. The
    reply's id, or None if it was recorded before."""
    replies = _replies(services)
    sid, phone, tenant_id, body, media = (
        text.sid,
        text.phone,
        text.tenant_id,
        text.body,
        text.media,
    )
    reply_id = reply_id_of(f"sms:{sid}")
    files: list[IncomingFile] = []
    for url, declared in media[:MAX_FILES]:
        fetched = await replies.media.fetch(url, replies.max_file_bytes)
        if fetched.problem is not None:
            files.append(IncomingFile(url.rsplit("/", 1)[-1], declared, None, 0))
            log.warning("reply %s: media %s not fetched: %s", sid, url, fetched.problem)
            continue
        size = fetched.size if fetched.size is not None else len(fetched.data)
        kept = fetched.data if size <= replies.max_file_bytes else None
        files.append(IncomingFile("", fetched.content_type or declared, kept, size))
    stored, refused = await _store(tenant_id, reply_id, files, replies, "photo")
    refused += [_too_many(declared) for _, declared in media[MAX_FILES:]]
    event = ReplyReceived(
        reply_id, "sms", phone, body, datetime.now(UTC), None, stored, tuple(refused)
    )
    return reply_id if await _record(sid, tenant_id, event, services) else None


async def receive_email(mail: IncomingEmail, services: Services) -> UUID | None:
    """An email to the tenant's reply address. The reply's id, or None if it was
    recorded before."""
    replies = _replies(services)
    tenant_id, sender, subject, body, files = (
        mail.tenant_id,
        mail.sender,
        mail.subject,
        mail.body,
        mail.files,
    )
    digest = hashlib.sha256(mail.message_key.encode()).hexdigest()[:40]
    reply_id = reply_id_of(f"email:{digest}")
    stored, refused = await _store(tenant_id, reply_id, files[:MAX_FILES], replies, "file")
    refused += [_too_many(f.content_type, f.filename) for f in files[MAX_FILES:]]
    event = ReplyReceived(
        reply_id, "email", sender, body, datetime.now(UTC), subject, stored, tuple(refused)
    )
    return reply_id if await _record(str(reply_id), tenant_id, event, services) else None


def _too_many(content_type: str, filename: str = "") -> RefusedFile:
    return RefusedFile(filename, content_type, None, f"a reply keeps {MAX_FILES} files at most")


async def _store(
    tenant_id: str,
    reply_id: UUID,
    files: Sequence[IncomingFile],
    replies: ReplyServices,
    stem: str,
) -> tuple[tuple[StoredFile, ...], list[RefusedFile]]:
    """Each acceptable file in the blob store (keys of ids only); the others refused."""
    stored, refused = [], []
    for n, file in enumerate(files, start=1):
        head = (file.data or b"")[:16]
        problem = (
            file_problem(file.content_type, file.size, head, replies.max_file_bytes)
            if file.data is not None or file.size
            else "the provider did not serve it"
        )
        if problem is not None or file.data is None:
            named = RefusedFile(_line(file.filename), _line(file.content_type), file.size, "")
            refused.append(replace(named, reason=problem or ""))
            continue
        content_type = sniff(head) or file.content_type
        key = f"{tenant_id}/replies/{reply_id}/{n}"
        await replies.files.put(key, file.data)
        name = _line(file.filename) or f"{stem}-{n}{_SUFFIX[content_type]}"
        digest = hashlib.sha256(file.data).hexdigest()
        stored.append(StoredFile(key, name, content_type, len(file.data), digest))
    return tuple(stored), refused


def _line(text: str) -> str:
    """What the sender wrote, as one header-safe line of the contract's length."""
    return " ".join(text.split())[:255]


_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
_SUFFIX["application/pdf"] = ".pdf"


async def _record(key: str, tenant_id: str, event: ReplyReceived, services: Services) -> bool:
    async with services.unit_of_work() as uow:
        if not await uow.opt_outs.first_reply(key):
            log.info("reply %s seen before: ignored", key)
            return False
        uow.record(event, Causation(tenant_id, None, event.reply_id))
        await uow.commit()
    return True

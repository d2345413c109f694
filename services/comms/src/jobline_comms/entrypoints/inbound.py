"""Replies that are not STOP/START (issue 20): texts with their MMS media, and emails
posted by SendGrid's Inbound Parse (or the SMTP sandbox standing in for it).

Inbound Parse signs nothing, so its URL carries a secret (``/v1/inbound/email/<token>``,
the setting ``INBOUND_PARSE_TOKEN``): a wrong one is answered 403 before the body is
read, and nothing is recorded. The tenant comes from the address the mail was sent to
(``reply+<tenant>@<reply domain>`` or a tenant's own reply address), never from its
sender.
"""

import hmac
import json
import logging
import re
from collections.abc import Mapping
from email.utils import getaddresses, parseaddr
from html import unescape
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.reply_handlers import (
    IncomingEmail,
    IncomingFile,
    IncomingText,
    receive_email,
    receive_text,
    tenant_of_email,
    tenant_of_text,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["replies"])
MAX_MEDIA = 10  # Twilio's own limit of media per message
_TEXT_PART = 2 * 1024 * 1024  # a form field's text (an email's text or html part)
_MESSAGE_ID = re.compile(r"^message-id:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
_ADDRESS = re.compile(r"[^\s@<>]{1,64}@[^\s@<>]{1,189}")  # one address, at most 254 long


class InboundRuntime(Protocol):
    services: Services

    def inbound_parse_ok(self, token: str) -> bool: ...


def _runtime(request: Request) -> InboundRuntime:
    runtime: InboundRuntime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, "starting")
    return runtime


def token_matches(given: str, expected: str | None) -> bool:
    """Constant time; no configured token: the endpoint takes nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())


async def forward_text(params: Mapping[str, str], services: Services) -> None:
    """An ordinary inbound text (signature already checked): to the tenant of the number
    it was sent to, with its media."""
    phone, number, sid = params["From"], params["To"], params["MessageSid"]
    tenant = await tenant_of_text(number, phone, services)
    if tenant is None:
        log.warning("reply %s to %s: no tenant texts from that number; dropped", sid, number)
        return
    try:
        count = min(int(params.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = [
        (params[f"MediaUrl{n}"], params.get(f"MediaContentType{n}", ""))
        for n in range(count)
        if params.get(f"MediaUrl{n}")
    ]
    await receive_text(IncomingText(sid, phone, tenant, params.get("Body", ""), media), services)


@router.post("/v1/inbound/email/{token}", summary="An email reply from SendGrid Inbound Parse")
async def inbound_email(token: str, request: Request) -> JSONResponse:
    runtime = _runtime(request)
    if not runtime.inbound_parse_ok(token):
        log.warning("refused an Inbound Parse post with a wrong token")
        raise HTTPException(403, "unknown inbound parse token")
    services = runtime.services
    async with request.form(max_part_size=_TEXT_PART) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        envelope = _json(fields.get("envelope"))
        to = [str(a) for a in envelope.get("to", []) if isinstance(a, str)]
        to += [a for _, a in getaddresses([fields.get("to", ""), fields.get("cc", "")]) if a]
        tenant = tenant_of_email(to, services)
        sender = str(envelope.get("from") or parseaddr(fields.get("from", ""))[1]).lower()
        if tenant is None or not _ADDRESS.fullmatch(sender):
            log.warning("an inbound email to %s: no tenant's reply address; dropped", to)
            return JSONResponse({"reply_id": None})
        limit = services.replies.max_file_bytes if services.replies else 0
        files = [await _file(v, limit) for k, v in form.multi_items() if isinstance(v, UploadFile)]
        _named(files, _json(fields.get("attachment-info")))
        subject = " ".join(fields.get("subject", "").split())[:250] or None
        body = fields.get("text") or unescape(_TAG.sub("", fields.get("html", "")))
        mail = IncomingEmail(
            _message_key(fields, sender), tenant, sender, subject, body.strip(), files
        )
        reply_id = await receive_email(mail, services)
    return JSONResponse({"reply_id": str(reply_id) if reply_id else None})


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def _file(upload: UploadFile, limit: int) -> IncomingFile:
    size = upload.size or 0
    data = await upload.read() if size <= limit else None
    name = " ".join((upload.filename or "").split())[:200]
    return IncomingFile(name, upload.content_type or "", data, size if data is None else len(data))


def _named(files: list[IncomingFile], info: dict[str, Any]) -> None:
    """The names Inbound Parse gives in ``attachment-info`` where a part had none."""
    names = [str(v.get("filename") or "") for v in info.values() if isinstance(v, dict)]
    for n, file in enumerate(files):
        if not file.filename and n < len(names):
            files[n] = IncomingFile(names[n][:200], file.content_type, file.data, file.size)


def _message_key(fields: Mapping[str, str], sender: str) -> str:
    """The email's Message-ID, or what it says: Inbound Parse posts it again on a 5xx."""
    found = _MESSAGE_ID.search(fields.get("headers", ""))
    if found:
        return found.group(1)
    parts = (sender, fields.get("to", ""), fields.get("subject", ""), fields.get("text", ""))
    return "\n".join(parts)

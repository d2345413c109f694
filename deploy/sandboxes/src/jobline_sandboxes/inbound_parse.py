"""The SMTP catcher standing in for SendGrid Inbound Parse (issue 20): a message to a
reply address (local part ``reply+…``) is posted, as Inbound Parse would post it, to
``JOBLINE_SANDBOX_INBOUND_PARSE_URL`` (the comms service's ``/v1/inbound/email/<token>``),
so SMTP deployments and local runs take replies the way SendGrid deployments do."""

import json
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import aiohttp

log = logging.getLogger(__name__)


def is_reply_address(address: str) -> bool:
    return address.rpartition("@")[0].lower().startswith("reply+")


def parse_form(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> aiohttp.FormData:
    """The multipart form Inbound Parse posts for this message (its default, parsed mode)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default makes these
    form = aiohttp.FormData()
    header_block = "".join(f"{k}: {v}\n" for k, v in message.items())
    for name, header in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject")):
        form.add_field(name, str(message.get(header, "")))
    for name, kind in (("text", "plain"), ("html", "html")):
        part = message.get_body(preferencelist=(kind,))
        form.add_field(name, part.get_content() if part is not None else "")
    form.add_field("headers", header_block)
    form.add_field("envelope", json.dumps({"to": rcpt_tos, "from": mail_from}))
    files = [p for p in message.iter_attachments() if isinstance(p, EmailMessage)]
    info = {}
    for n, part in enumerate(files, start=1):
        name = part.get_filename() or f"attachment{n}"
        content_type = part.get_content_type()
        info[f"attachment{n}"] = {"filename": name, "name": name, "type": content_type}
        data = part.get_payload(decode=True)
        form.add_field(
            f"attachment{n}",
            data if isinstance(data, bytes) else b"",
            filename=name,
            content_type=content_type,
        )
    form.add_field("attachments", str(len(files)))
    form.add_field("attachment-info", json.dumps(info))
    return form


async def post_reply(url: str, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> int:
    """Post the message to ``url``; the answer's status (0: not reached)."""
    form = parse_form(raw, mail_from, rcpt_tos)
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=form) as answer,
        ):
            log.info("posted a reply for %s to Inbound Parse: %d", rcpt_tos, answer.status)
            return answer.status
    except (aiohttp.ClientError, TimeoutError) as failure:
        log.warning("could not post a reply for %s: %r", rcpt_tos, failure)
        return 0

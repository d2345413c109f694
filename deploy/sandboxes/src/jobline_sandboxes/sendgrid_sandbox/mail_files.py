"""Each accepted send as one `.eml` file in the mail folder the SMTP catcher fills.

Same envelope headers as the catcher (`X-Sandbox-Mail-From`, `X-Sandbox-Rcpt-To`), plus
`X-Sandbox-Provider: sendgrid` and SendGrid's `X-Message-Id`; names sort in arrival order
and files appear whole (written hidden, then renamed).
"""

import base64
import binascii
import itertools
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from jobline_sandboxes.sendgrid_sandbox.magic import recipients_of

_SEQUENCE = itertools.count(1)


def _address(value: dict[str, Any]) -> str:
    email, name = str(value.get("email", "")), str(value.get("name") or "")
    return str(Address(display_name=name, addr_spec=email)) if name else email


def message_of(body: dict[str, Any], message_id: str) -> EmailMessage:
    """The email SendGrid would deliver for this Mail Send body."""
    message = EmailMessage()
    message["From"] = _address(body["from"])
    message["To"] = ", ".join(
        _address(to) for p in body["personalizations"] for to in p.get("to", [])
    )
    message["Subject"] = str(body.get("subject") or body["personalizations"][0].get("subject"))
    if isinstance(body.get("reply_to"), dict):
        message["Reply-To"] = _address(body["reply_to"])
    for name, value in (body.get("headers") or {}).items():
        message[name] = str(value)
    message["X-Message-Id"] = message_id
    text = next((c["value"] for c in body["content"] if c.get("type") == "text/plain"), "")
    message.set_content(str(text))
    for attachment in body.get("attachments") or []:
        try:
            data = base64.b64decode(attachment.get("content", ""), validate=True)
        except binascii.Error:
            data = b""
        maintype, _, subtype = str(attachment.get("type") or "application/octet-stream").partition(
            "/"
        )
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=attachment.get("filename")
        )
    return message


def store_message(mail_dir: Path, body: dict[str, Any], message_id: str) -> str:
    """Write the message; the file's name."""
    envelope = (
        f"X-Sandbox-Mail-From: {body['from'].get('email', '')}\r\n"
        f"X-Sandbox-Rcpt-To: {', '.join(recipients_of(body))}\r\n"
        "X-Sandbox-Provider: sendgrid\r\n"
    ).encode()
    content = message_of(body, message_id).as_bytes(policy=SMTP)
    name = f"{time.time_ns():020d}-{next(_SEQUENCE):06d}-sendgrid.eml"
    mail_dir.mkdir(parents=True, exist_ok=True)
    partial = mail_dir / f".{name}.partial"
    partial.write_bytes(envelope + content)
    partial.replace(mail_dir / name)
    return name
